// DnsNames with a real dnsmasq on a real bridge, inside a network namespace
// this test makes and removes; queried over UDP at the gateway like a guest
// (or the host's resolver) would.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "capabilities/dns_names.h"
#include "core/errors.h"
#include "core/unique_fd.h"
#include "dns_query.h"
#include "net/dnsmasq_config.h"
#include "net/links.h"
#include "netns.h"

namespace banger {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// NetworkManager's answers, set by each test.
class FakeAttachments final : public VmAttachments {
 public:
  std::optional<VmAttachment> attachment_of(const VmRecord& vm) override {
    auto it = by_vm.find(vm.id);
    if (it == by_vm.end()) return std::nullopt;
    return it->second;
  }
  std::vector<DnsEntry> dns_entries(const std::string& network) override { return entries[network]; }

  std::map<std::string, VmAttachment> by_vm;
  std::map<std::string, std::vector<DnsEntry>> entries;
};

class FakeResolved final : public net::ResolvedLinks {
 public:
  std::optional<std::string> unavailable() override { return why_unavailable; }
  std::optional<std::string> register_link(const net::ResolvedLink& link) override {
    if (why_unavailable) return why_unavailable;
    registered.push_back(link);
    return std::nullopt;
  }
  std::optional<std::string> why_unavailable;
  std::vector<net::ResolvedLink> registered;
};

class NullProgress final : public ProgressSink {
 public:
  void report(std::string_view, double) override {}
};

constexpr const char* gateway = "10.213.0.1";

NetworkRecord network(const std::string& domain = "banger") {
  NetworkRecord n;
  n.name = "dnst";
  n.bridge = "bg-dnst";
  n.subnet = "10.213.0.0/24";
  n.gateway = gateway;
  n.dns_domain = domain;
  return n;
}

VmRecord vm(const std::string& id, const std::string& name) {
  VmRecord v;
  v.id = id;
  v.name = name;
  return v;
}

// Every running dnsmasq whose command line names this pid file.
std::vector<pid_t> dnsmasqs_of(const fs::path& pid_file) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    auto start = process_start_time(pid);
    if (!start || !is_running({pid, *start})) continue;
    for (const auto& arg : process_cmdline(pid))
      if (arg == "--pid-file=" + pid_file.string()) found.push_back(pid);
  }
  return found;
}

// One query at the gateway: the A records, none for NXDOMAIN, or the failure.
std::vector<std::string> answer(const std::string& name) {
  const auto reply = test::query_a(gateway, name);
  if (!reply.failure.empty()) return {reply.failure};
  return reply.nxdomain ? std::vector<std::string>{} : reply.addresses;
}

const std::vector<std::string> nxdomain{};

class DnsNamesInNetns : public ::testing::Test {
 protected:
  static std::optional<std::string> unavailable() { return test::netns_unavailable({.programs = {"dnsmasq"}}); }

  void SetUp() override {
    if (auto why = unavailable()) GTEST_SKIP() << *why;
    netns_ = std::make_unique<test::ScopedNetns>();
    ASSERT_EQ(netns_->exec("ip link set lo up").status, 0);
    net::ensure_bridge("bg-dnst", *net::parse_cidr(std::string(gateway) + "/24"));
    char dir[] = "/tmp/banger-dns-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    runtime_ = dir;
    // As /run/banger: dnsmasq re-reads its hosts file as nobody.
    fs::permissions(runtime_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
    dnsmasq_ = find_dnsmasq();
    resolved_ = std::make_shared<FakeResolved>();
    names_ = make_names();
    attachments_.by_vm["id-1"] = {network(), "10.213.0.2", "vm1.banger"};
    attachments_.entries["dnst"] = {{"vm1", "10.213.0.2"}};
  }
  void TearDown() override {
    if (!netns_) return;
    names_->stop_network("dnst");
    reap_spawned_children([](pid_t, const siginfo_t&) {});
    std::error_code ec;
    fs::remove_all(runtime_, ec);
    netns_.reset();
  }

  static fs::path find_dnsmasq() {
    for (const char* candidate : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"})
      if (fs::exists(candidate)) return candidate;
    return "dnsmasq";
  }
  std::unique_ptr<DnsNames> make_names(fs::path binary = {}) {
    return std::make_unique<DnsNames>(attachments_, runtime_, binary.empty() ? dnsmasq_ : binary, resolved_);
  }
  net::DnsmasqFiles files() const { return net::dnsmasq_files(runtime_, "dnst"); }
  pid_t only_dnsmasq() const {
    auto pids = dnsmasqs_of(files().pid);
    EXPECT_EQ(pids.size(), 1u);
    return pids.empty() ? 0 : pids.front();
  }

  std::unique_ptr<test::ScopedNetns> netns_;
  fs::path runtime_;
  fs::path dnsmasq_;
  FakeAttachments attachments_;
  std::shared_ptr<FakeResolved> resolved_;
  std::unique_ptr<DnsNames> names_;
};

TEST_F(DnsNamesInNetns, AnswersVmNamesAtTheGatewayAndNothingElseOfItsDomain) {
  names_->start_network(network());
  const auto vm1 = test::query_a(gateway, "vm1.banger");
  EXPECT_EQ(vm1.failure, "");
  EXPECT_EQ(vm1.addresses, std::vector<std::string>{"10.213.0.2"});
  const auto nope = test::query_a(gateway, "nope.banger");
  EXPECT_EQ(nope.failure, "");
  EXPECT_TRUE(nope.nxdomain);
  EXPECT_TRUE(nope.addresses.empty());
}

TEST_F(DnsNamesInNetns, ANetworkWithoutVmsIsServedToo) {
  attachments_.entries["dnst"] = {};
  names_->start_network(network());
  EXPECT_EQ(answer("vm1.banger"), nxdomain);
  EXPECT_GT(only_dnsmasq(), 0);
}

TEST_F(DnsNamesInNetns, TheHostsFileIsTheRenderedTableReadableByDnsmasqAfterItDroppedRoot) {
  attachments_.entries["dnst"].push_back({"vm2", "10.213.0.3"});
  names_->start_network(network());
  std::ifstream in(files().hosts);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "10.213.0.2 vm1.banger vm1\n10.213.0.3 vm2.banger vm2\n");
  EXPECT_NE(fs::status(files().hosts).permissions() & fs::perms::others_read, fs::perms::none);
  EXPECT_FALSE(fs::exists(fs::path(files().hosts).concat(".tmp")));
}

// The first IPv4 nameserver of the host's resolv.conf, which dnsmasq forwards to.
std::optional<std::string> host_nameserver() {
  std::ifstream in("/etc/resolv.conf");
  for (std::string keyword, address; in >> keyword;) {
    if (keyword == "nameserver" && in >> address) return address.find(':') == std::string::npos ? std::optional(address) : std::nullopt;
    std::getline(in, keyword);
  }
  return std::nullopt;
}

TEST_F(DnsNamesInNetns, OtherNamesGoUpstreamButTheDomainNeverDoes) {
  // The namespace gets the host's nameserver address, answered by a dnsmasq
  // of the test's that knows upstream.test and, to catch a leak, banger too.
  const auto upstream = host_nameserver();
  if (!upstream) GTEST_SKIP() << "/etc/resolv.conf names no IPv4 nameserver";
  if (upstream->rfind("127.", 0) != 0) {
    ASSERT_EQ(netns_->exec("ip addr add " + *upstream + "/32 dev lo").status, 0);
  }
  const auto upstream_pid = runtime_ / "upstream.pid";
  struct Stop {
    fs::path pid;
    ~Stop() { test::run_command("kill $(cat " + pid.string() + ") 2>/dev/null"); }
  } stop_upstream{upstream_pid};
  ASSERT_EQ(netns_->exec(dnsmasq_.string() + " --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces --listen-address=" +
                         *upstream + " --address=/upstream.test/192.0.2.7 --address=/banger/192.0.2.99 --pid-file=" +
                         upstream_pid.string() + " --user=nobody 2>&1").status, 0);
  names_->start_network(network());

  EXPECT_EQ(answer("www.upstream.test"), std::vector<std::string>{"192.0.2.7"});
  EXPECT_EQ(answer("nope.banger"), nxdomain);
}

// The query from a thread inside `guest`, another namespace.
test::DnsAnswer query_from(const test::ScopedNetns& guest, const std::string& name) {
  test::DnsAnswer reply{false, {}, "the thread could not enter " + guest.name()};
  std::thread([&] {
    UniqueFd ns(::open(("/run/netns/" + guest.name()).c_str(), O_RDONLY | O_CLOEXEC));
    if (ns.valid() && ::setns(ns.get(), CLONE_NEWNET) == 0) reply = test::query_a(gateway, name);
  }).join();
  return reply;
}

TEST_F(DnsNamesInNetns, AGuestBehindTheBridgeResolvesNamesAtItsGateway) {
  test::ScopedNetns guest(false);
  const auto in = [](const test::ScopedNetns& ns, const std::string& command) {
    ASSERT_EQ(ns.exec(command + " 2>&1").status, 0) << command;
  };
  in(*netns_, "ip link add bgt-guest type veth peer name eth0 netns " + guest.name());
  in(*netns_, "ip link set bgt-guest master bg-dnst up");
  in(guest, "ip addr add 10.213.0.2/24 dev eth0");
  in(guest, "ip link set eth0 up");
  names_->start_network(network());

  const auto vm1 = query_from(guest, "vm1.banger");
  EXPECT_EQ(vm1.failure, "");
  EXPECT_EQ(vm1.addresses, std::vector<std::string>{"10.213.0.2"});
  EXPECT_TRUE(query_from(guest, "nope.banger").nxdomain);
}

TEST_F(DnsNamesInNetns, TellsTheHostResolverAboutTheBridge) {
  names_->start_network(network());
  ASSERT_EQ(resolved_->registered.size(), 1u);
  EXPECT_EQ(resolved_->registered[0].ifindex, static_cast<int>(::if_nametoindex("bg-dnst")));
  EXPECT_EQ(resolved_->registered[0].dns_server, gateway);
  EXPECT_EQ(resolved_->registered[0].domain, "banger");
}

TEST_F(DnsNamesInNetns, ARenameIsAnsweredAtOnce) {
  names_->start_network(network());
  ASSERT_EQ(test::query_a(gateway, "vm1.banger").addresses, std::vector<std::string>{"10.213.0.2"});
  attachments_.entries["dnst"] = {{"web", "10.213.0.2"}};  // the store has the new name
  names_->apply_config_change(vm("id-1", "vm1"), vm("id-1", "web"));
  EXPECT_EQ(answer("web.banger"), std::vector<std::string>{"10.213.0.2"});
  EXPECT_EQ(answer("vm1.banger"), nxdomain);
}

TEST_F(DnsNamesInNetns, ADeletedVmsNameGoesWhileItsRowIsStillThere) {
  names_->start_network(network());
  attachments_.by_vm["id-2"] = {network(), "10.213.0.3", "vm2.banger"};
  attachments_.entries["dnst"].push_back({"vm2", "10.213.0.3"});
  NullProgress progress;
  auto vm2 = vm("id-2", "vm2");
  names_->provision(vm2, progress);
  ASSERT_EQ(answer("vm2.banger"), std::vector<std::string>{"10.213.0.3"});

  names_->cleanup(vm("id-2", "vm2"), CleanupReason::deleted);
  EXPECT_EQ(answer("vm2.banger"), nxdomain);
  EXPECT_EQ(test::query_a(gateway, "vm1.banger").addresses, std::vector<std::string>{"10.213.0.2"});
}

TEST_F(DnsNamesInNetns, AStoppedVmKeepsItsName) {
  names_->start_network(network());
  names_->cleanup(vm("id-1", "vm1"), CleanupReason::stopped);
  EXPECT_EQ(test::query_a(gateway, "vm1.banger").addresses, std::vector<std::string>{"10.213.0.2"});
}

TEST_F(DnsNamesInNetns, VmStartStartsTheNetworksDnsmasqWhenNothingElseDid) {
  ASSERT_TRUE(dnsmasqs_of(files().pid).empty());
  names_->prepare_host(vm("id-1", "vm1"));
  EXPECT_EQ(dnsmasqs_of(files().pid).size(), 1u);
  EXPECT_EQ(test::query_a(gateway, "vm1.banger").addresses, std::vector<std::string>{"10.213.0.2"});
  EXPECT_EQ(resolved_->registered.size(), 1u);
  names_->prepare_host(vm("id-1", "vm1"));  // a second start: same process, resolver not asked again
  EXPECT_EQ(dnsmasqs_of(files().pid).size(), 1u);
  EXPECT_EQ(resolved_->registered.size(), 1u);
}

TEST_F(DnsNamesInNetns, AVmWithoutNetworkTouchesNothing) {
  names_->prepare_host(vm("id-none", "lonely"));
  EXPECT_TRUE(dnsmasqs_of(files().pid).empty());
  EXPECT_FALSE(fs::exists(files().hosts));
}

TEST_F(DnsNamesInNetns, StoppingTheNetworkEndsItsDnsmasqAndRemovesItsFiles) {
  names_->start_network(network());
  ASSERT_TRUE(fs::exists(files().hosts));
  ASSERT_TRUE(fs::exists(files().pid));
  const pid_t pid = only_dnsmasq();
  names_->stop_network("dnst");
  EXPECT_TRUE(dnsmasqs_of(files().pid).empty());
  EXPECT_FALSE(process_start_time(pid) && is_running({pid, *process_start_time(pid)}));
  EXPECT_FALSE(fs::exists(files().hosts));
  EXPECT_FALSE(fs::exists(files().pid));
  EXPECT_FALSE(fs::exists(files().log));
  EXPECT_TRUE(test::query_a(gateway, "vm1.banger").failure != "");
}

TEST_F(DnsNamesInNetns, ARestartedDaemonAdoptsTheRunningDnsmasq) {
  names_->start_network(network());
  const pid_t before = only_dnsmasq();
  names_.reset();  // bangerd goes; dnsmasq stays
  ASSERT_EQ(dnsmasqs_of(files().pid), std::vector<pid_t>{before});

  attachments_.entries["dnst"].push_back({"vm2", "10.213.0.3"});  // changed while bangerd was away
  names_ = make_names();
  names_->start_network(network());
  EXPECT_EQ(dnsmasqs_of(files().pid), std::vector<pid_t>{before});
  EXPECT_EQ(answer("vm2.banger"), std::vector<std::string>{"10.213.0.3"});
}

TEST_F(DnsNamesInNetns, AtStartUpTheDnsmasqOfANetworkThatIsGoneIsStopped) {
  names_->start_network(network());
  ASSERT_GT(only_dnsmasq(), 0);
  names_ = make_names();  // a restart after the network's row went
  auto other = network();
  other.name = "other";
  names_->stop_other_networks({other});
  EXPECT_TRUE(dnsmasqs_of(files().pid).empty());
  EXPECT_FALSE(fs::exists(files().pid));
  EXPECT_FALSE(fs::exists(files().hosts));
}

TEST_F(DnsNamesInNetns, AtStartUpTheDnsmasqOfAKnownNetworkIsKept) {
  names_->start_network(network());
  const pid_t before = only_dnsmasq();
  names_ = make_names();
  names_->stop_other_networks({network()});
  EXPECT_EQ(dnsmasqs_of(files().pid), std::vector<pid_t>{before});
}

TEST_F(DnsNamesInNetns, ADnsmasqToldOtherThingsIsReplaced) {
  names_->start_network(network());
  const pid_t before = only_dnsmasq();
  auto renamed = network("lab.test");
  attachments_.by_vm["id-1"].network = renamed;
  names_ = make_names();
  names_->start_network(renamed);
  const pid_t after = only_dnsmasq();
  EXPECT_NE(after, before);
  EXPECT_EQ(test::query_a(gateway, "vm1.lab.test").addresses, std::vector<std::string>{"10.213.0.2"});
  EXPECT_THAT(process_cmdline(after), ::testing::Contains("--local=/lab.test/"));
}

TEST_F(DnsNamesInNetns, AGatewayTheHostDoesNotHaveIsBackendFailedInDnsmasqsWords) {
  auto elsewhere = network();
  elsewhere.gateway = "10.213.0.9";  // not the bridge's address: dnsmasq cannot bind it
  try {
    names_->start_network(elsewhere);
    FAIL() << "dnsmasq started on an address the host does not have";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
    EXPECT_THAT(e.what(), HasSubstr("10.213.0.9"));
    EXPECT_THAT(e.what(), HasSubstr("dnsmasq"));
    EXPECT_THAT(e.what(), HasSubstr("Cannot assign requested address"));
  }
  EXPECT_TRUE(dnsmasqs_of(files().pid).empty());
  std::vector<DoctorCheck> checks;
  names_->add_doctor_checks(checks);
  ASSERT_FALSE(checks.empty());
  EXPECT_EQ(checks[0].check, "dnsmasq");
  EXPECT_EQ(checks[0].status, "warn");
  EXPECT_THAT(checks[0].detail, HasSubstr("dnst"));
}

TEST_F(DnsNamesInNetns, AMissingBinaryIsBackendFailedNamingThePackage) {
  names_ = make_names(runtime_ / "no-dnsmasq-here");
  try {
    names_->prepare_host(vm("id-1", "vm1"));
    FAIL() << "a VM started without its DNS server";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
    EXPECT_THAT(e.what(), HasSubstr("apt-get install dnsmasq-base"));
  }
}

DoctorCheck check_named(DnsNames& names, const std::string& check) {
  std::vector<DoctorCheck> checks;
  names.add_doctor_checks(checks);
  for (const auto& c : checks)
    if (c.check == check) return c;
  ADD_FAILURE() << "no doctor check " << check;
  return {};
}

TEST_F(DnsNamesInNetns, DoctorIsHappyWhenDnsmasqRunsAndResolvedKnowsTheNetwork) {
  names_->start_network(network());
  EXPECT_EQ(check_named(*names_, "dnsmasq").status, "ok");
  EXPECT_EQ(check_named(*names_, "systemd-resolved").status, "ok");
}

TEST_F(DnsNamesInNetns, DoctorTellsHowToResolveNamesWithoutResolved) {
  resolved_->why_unavailable = "org.freedesktop.resolve1 is not on the system bus";
  names_->start_network(network());
  const auto check = check_named(*names_, "systemd-resolved");
  EXPECT_EQ(check.status, "warn");
  EXPECT_THAT(check.detail, HasSubstr("not on the system bus"));
  EXPECT_THAT(check.fix, HasSubstr("resolvectl dns bg-dnst 10.213.0.1"));
  EXPECT_THAT(check.fix, HasSubstr("resolvectl domain bg-dnst '~banger'"));
  EXPECT_THAT(check.fix, HasSubstr("dig @10.213.0.1"));
}

TEST_F(DnsNamesInNetns, DoctorFailsWithoutDnsmasqAndWarnsWhenOneDied) {
  auto missing = make_names(runtime_ / "no-dnsmasq-here");
  const auto absent = check_named(*missing, "dnsmasq");
  EXPECT_EQ(absent.status, "fail");
  EXPECT_THAT(absent.fix, HasSubstr("apt-get install dnsmasq-base"));

  names_->start_network(network());
  const pid_t pid = only_dnsmasq();
  const ProcessId dnsmasq{pid, process_start_time(pid).value_or(0)};
  ::kill(pid, SIGKILL);
  ASSERT_TRUE(wait_gone(dnsmasq, std::chrono::seconds(5)));
  const auto died = check_named(*names_, "dnsmasq");
  EXPECT_EQ(died.status, "warn");
  EXPECT_THAT(died.detail, HasSubstr("dnst"));
}

}  // namespace
}  // namespace banger
