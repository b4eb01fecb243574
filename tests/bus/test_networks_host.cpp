// (h) Networks on the host: the real bangerd (netlink bridges, nftables NAT)
// runs inside a network namespace this suite creates and removes, with
// `ip netns exec` as its BANGER_BANGERD_PREFIX; the bus socket is a file, so
// the bus still reaches it. Everything checked here is read in that namespace
// only; the host's own interfaces and ruleset are never looked at or touched.
#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "banger/object_path.h"
#include "bangerd_netns.h"
#include "test_support.h"

namespace banger::test {
namespace {

using nlohmann::json;
namespace err = banger::bus::error;

class HostNetworks : public BusTest {
 protected:
  static void SetUpTestSuite() {
    netns_ = bangerd_netns({.programs = {"nft"}}, netns_skip_);
    if (!netns_) return;
    BusTest::SetUpTestSuite();
  }
  static void TearDownTestSuite() {
    BusTest::TearDownTestSuite();  // stops bangerd before its namespace goes
    netns_.reset();
  }
  void SetUp() override {
    if (!netns_skip_.empty()) GTEST_SKIP() << netns_skip_;
    BusTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    connect();
  }

  void connect() {
    manager_.reset();
    connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
    manager_ = sdbus::createProxy(*connection_, kService, kRoot);
  }
  void create(const std::string& name, const Options& options) {
    sdbus::ObjectPath path;
    manager_->callMethod("CreateNetwork").onInterface(kManager).withArguments(name, options).storeResultsTo(path);
  }
  void delete_network(const std::string& name) {
    manager_->callMethod("DeleteNetwork").onInterface(kManager).withArguments(name);
  }
  void set_nat(const std::string& name, bool nat) {
    auto network = sdbus::createProxy(*connection_, kService, bus::network_path(name));
    network->callMethod("SetNAT").onInterface(bus::network_interface).withArguments(nat);
  }

  static json link(const std::string& name) { return link_in(*netns_, name); }
  static bool has_wake_table() { return netns_->exec("nft list table ip banger_wake >/dev/null 2>&1").status == 0; }
  // A wake table as a killed bangerd leaves it: its chains, and a rule for a VM long gone.
  static void leave_wake_table() {
    // One nft command line: exec() runs only its first program in the namespace.
    const auto made = netns_->exec(
        "nft 'add table ip banger_wake; "
        "add chain ip banger_wake prerouting { type filter hook prerouting priority raw; }; "
        "add rule ip banger_wake prerouting ip daddr 10.219.0.9 drop'");
    ASSERT_EQ(made.status, 0) << made.out;
  }
  static std::optional<std::set<std::string>> masqueraded() { return banger::test::masqueraded(*netns_); }

  static inline std::unique_ptr<ScopedNetns> netns_;
  static inline std::string netns_skip_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> manager_;
};

TEST_F(HostNetworks, BridgesAndNatFollowTheNetworksAcrossRestarts) {
  // Out of the box: the default network's bridge with its gateway, masqueraded.
  EXPECT_TRUE(is_up_with(link("bg-default"), "10.219.0.1", 24)) << link("bg-default").dump() << env().logs();
  EXPECT_EQ(masqueraded(), (std::set<std::string>{"10.219.0.0/24"}));
  EXPECT_EQ(netns_->exec("cat /proc/sys/net/ipv4/ip_forward").out, "1\n");

  create("lab", {{"subnet", sdbus::Variant(std::string("10.77.3.0/24"))}});
  create("quiet", {{"subnet", sdbus::Variant(std::string("10.77.4.0/29"))}, {"nat", sdbus::Variant(false)}});
  EXPECT_TRUE(is_up_with(link("bg-lab"), "10.77.3.1", 24)) << link("bg-lab").dump();
  EXPECT_TRUE(is_up_with(link("bg-quiet"), "10.77.4.1", 29)) << link("bg-quiet").dump();
  EXPECT_EQ(masqueraded(), (std::set<std::string>{"10.219.0.0/24", "10.77.3.0/24"})) << "NAT off: no masquerade";

  // A subnet the namespace already routes is refused, and nothing is left of it.
  netns_->ip("link add bt-foreign type bridge");  // not banger's: no bg- prefix
  netns_->ip("addr add 10.88.0.1/16 dev bt-foreign");
  netns_->ip("link set bt-foreign up");
  auto clash = error_of([&] { create("clash", {{"subnet", sdbus::Variant(std::string("10.88.5.0/24"))}}); });
  ASSERT_TRUE(clash);
  EXPECT_EQ(clash->getName(), err::invalid_args) << clash->getMessage();
  EXPECT_TRUE(link("bg-clash").is_null());

  set_nat("lab", false);
  EXPECT_EQ(masqueraded(), (std::set<std::string>{"10.219.0.0/24"}));
  set_nat("lab", true);
  EXPECT_EQ(masqueraded(), (std::set<std::string>{"10.219.0.0/24", "10.77.3.0/24"}));

  delete_network("quiet");
  EXPECT_TRUE(link("bg-quiet").is_null()) << link("bg-quiet").dump();

  // As after a reboot: bridges and table gone; a restart rebuilds them, and a
  // second restart over what is there changes nothing.
  env().stop_daemon();
  netns_->ip("link del bg-lab");
  netns_->exec("nft delete table inet banger");
  for (int round = 0; round < 2; ++round) {
    env().start_daemon();
    connect();
    EXPECT_TRUE(is_up_with(link("bg-default"), "10.219.0.1", 24)) << "round " << round << "\n" << env().logs();
    EXPECT_TRUE(is_up_with(link("bg-lab"), "10.77.3.1", 24)) << "round " << round;
    EXPECT_TRUE(link("bg-quiet").is_null()) << "round " << round;
    EXPECT_EQ(masqueraded(), (std::set<std::string>{"10.219.0.0/24", "10.77.3.0/24"})) << "round " << round;
    if (round == 0) env().stop_daemon();
  }
  delete_network("lab");
  EXPECT_TRUE(link("bg-lab").is_null());
  EXPECT_EQ(masqueraded(), (std::set<std::string>{"10.219.0.0/24"}));
}

TEST_F(HostNetworks, WithoutASubnetCreateStepsAroundTheNamespacesRoutes) {
  netns_->ip("link add bt-foreign2 type bridge");
  netns_->ip("addr add 10.219.1.1/24 dev bt-foreign2");
  netns_->ip("link set bt-foreign2 up");
  create("auto", {});
  EXPECT_TRUE(is_up_with(link("bg-auto"), "10.219.2.1", 24))
      << "10.219.0.0/24 is the default's, 10.219.1.0/24 bt-foreign2's route\n" << link("bg-auto").dump();
  delete_network("auto");
  EXPECT_TRUE(link("bg-auto").is_null());
}

// Wake-on-connect's table (issue 19) is made when a VM with idle sleep is suspended
// (net-wake's WakeTableLifecycle shows that): no such VM, no table, even one a
// killed bangerd left; and bangerd removes it when it stops.
TEST_F(HostNetworks, NoWakeTableWithoutASleepingVmNorOneLeftByAKilledDaemon) {
  EXPECT_FALSE(has_wake_table()) << env().logs();

  env().kill_daemon();
  leave_wake_table();
  env().start_daemon();
  connect();
  EXPECT_FALSE(has_wake_table()) << "the killed bangerd's table is removed at start\n" << env().logs();

  leave_wake_table();  // as if a VM had needed it meanwhile
  env().stop_daemon();
  EXPECT_FALSE(has_wake_table()) << "bangerd removes it when it stops\n" << env().logs();
  env().start_daemon();
  connect();
}

}  // namespace
}  // namespace banger::test
