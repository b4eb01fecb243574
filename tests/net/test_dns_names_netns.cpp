// DnsNames answering names: a real dnsmasq on a real bridge in a network
// namespace, queried over UDP at the gateway like a guest (or the host's
// resolver) would; renames, deletes, upstream forwarding, resolved.
#include "dns_names_fixture.h"

namespace banger {
namespace {

using namespace dns_fixture;
using ::testing::HasSubstr;

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

}  // namespace
}  // namespace banger
