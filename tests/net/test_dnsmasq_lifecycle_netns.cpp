// The network's dnsmasq as a process: started by a VM start, stopped with its
// network, adopted or replaced by a restarted daemon, its failures in its own
// words, and the doctor lines about it.
#include "dns_names_fixture.h"

namespace banger {
namespace {

using namespace dns_fixture;
using ::testing::HasSubstr;

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
