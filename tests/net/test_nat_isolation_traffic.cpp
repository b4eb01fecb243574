// Two NAT networks against real traffic (issue 17, finding 5): the
// bridged_vm.h layout ("vm" behind bgr0, 10.201.0.2; "upstream" 192.0.2.2)
// plus a "neighbour" VM behind a second bridge bgr1 (10.202.0.1/24) as
// 10.202.0.2, and a "sibling" VM beside the first on bgr0 as 10.201.0.3.
// Guests reach upstream and each other within their network, but never open a
// connection into another banger network: a guest of `default` must not reach
// another user's VMs on theirs. A port forward is the host's decision and
// still leads there.
#include <gtest/gtest.h>

#include "net/nat_forwarding.h"
#include "net/nat_table.h"
#include "net/port_forward_table.h"
#include "bridged_vm.h"
#include "netns.h"
#include "traffic.h"

namespace banger {
namespace {

using test::Exchange;
using test::gets_through;

class NatIsolationTrafficTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = test::netns_unavailable({.programs = {"nft", "python3"}})) GTEST_SKIP() << *why;
    vm_ = std::make_unique<test::ScopedNetns>(false);
    neighbour_ = std::make_unique<test::ScopedNetns>(false);
    sibling_ = std::make_unique<test::ScopedNetns>(false);
    upstream_ = std::make_unique<test::ScopedNetns>(false);
    host_ = std::make_unique<test::ScopedNetns>();
    auto commands = test::bridged_vm_commands(*host_, *vm_, *upstream_);
    commands.insert(commands.end(), {{host_.get(), "ip link add bgr1 type bridge"},
                                     {host_.get(), "ip addr add 10.202.0.1/24 dev bgr1"},
                                     {host_.get(), "ip link set bgr1 up"},
                                     {host_.get(), "ip link add tap1 type veth peer name eth0 netns " + neighbour_->name()},
                                     {host_.get(), "ip link set tap1 master bgr1 up"},
                                     {neighbour_.get(), "ip addr add 10.202.0.2/24 dev eth0"},
                                     {neighbour_.get(), "ip link set eth0 up"},
                                     {neighbour_.get(), "ip route add default via 10.202.0.1"},
                                     {host_.get(), "ip link add tap2 type veth peer name eth0 netns " + sibling_->name()},
                                     {host_.get(), "ip link set tap2 master bgr0 up"},
                                     {sibling_.get(), "ip addr add 10.201.0.3/24 dev eth0"},
                                     {sibling_.get(), "ip link set eth0 up"}});
    for (const auto& [ns, command] : commands) ASSERT_EQ(ns->exec(command + " 2>&1").status, 0) << command;
    EXPECT_FALSE(enable_ipv4_forwarding());
  }

  void apply_two_nat_networks() { nat_.apply({{"bgr0", "10.201.0.0/24", true}, {"bgr1", "10.202.0.0/24", true}}); }

  // Declared first so they go last: the host namespace is left before the
  // others are deleted.
  std::unique_ptr<test::ScopedNetns> vm_;
  std::unique_ptr<test::ScopedNetns> neighbour_;
  std::unique_ptr<test::ScopedNetns> sibling_;
  std::unique_ptr<test::ScopedNetns> upstream_;
  std::unique_ptr<test::ScopedNetns> host_;
  NatTable nat_;
};

TEST_F(NatIsolationTrafficTest, WithoutBangersTableTheNetworksReachEachOther) {
  // The baseline that makes the other tests mean something: the host routes between its bridges.
  EXPECT_TRUE(gets_through(*neighbour_, *vm_, "tcp", "10.202.0.2", 7101));
  EXPECT_TRUE(gets_through(*vm_, *neighbour_, "tcp", "10.201.0.2", 7102));
}

TEST_F(NatIsolationTrafficTest, ANatNetworksGuestOpensNothingInAnotherNatNetwork) {
  apply_two_nat_networks();
  EXPECT_FALSE(gets_through(*neighbour_, *vm_, "tcp", "10.202.0.2", 7111));
  EXPECT_FALSE(gets_through(*neighbour_, *vm_, "udp", "10.202.0.2", 7112));
  EXPECT_FALSE(gets_through(*vm_, *neighbour_, "tcp", "10.201.0.2", 7113)) << "nor the other way";
  EXPECT_FALSE(gets_through(*vm_, *neighbour_, "udp", "10.201.0.2", 7114));
}

// Within one bridge the traffic is bridged, not routed; but where the host
// passes bridged IPv4 through its forward hook (br_netfilter, as Docker and
// others load it) banger's forward chain sees it, coming in and going out
// through the same bridge.
TEST_F(NatIsolationTrafficTest, GuestsOfOneNetworkStillReachEachOther) {
  apply_two_nat_networks();
  EXPECT_TRUE(gets_through(*sibling_, *vm_, "tcp", "10.201.0.3", 7141));
  EXPECT_TRUE(gets_through(*vm_, *sibling_, "udp", "10.201.0.2", 7142));
}

TEST_F(NatIsolationTrafficTest, BothStillReachUpstreamAndGetTheirAnswers) {
  apply_two_nat_networks();
  EXPECT_TRUE(gets_through(*upstream_, *vm_, "tcp", "192.0.2.2", 7121));
  EXPECT_TRUE(gets_through(*upstream_, *neighbour_, "tcp", "192.0.2.2", 7122));
  EXPECT_TRUE(gets_through(*upstream_, *neighbour_, "udp", "192.0.2.2", 7123));
}

TEST_F(NatIsolationTrafficTest, APortForwardStillLeadsFromOneNetworkIntoTheOther) {
  apply_two_nat_networks();
  PortForwardTable forwards;
  forwards.apply({{"tcp", 18131, "10.202.0.2", 7131, "bgr1"}});
  EXPECT_TRUE(gets_through(*neighbour_, *vm_, Exchange{"tcp", "10.202.0.2", 7131, "192.0.2.1", 18131}));
  EXPECT_TRUE(gets_through(*neighbour_, *upstream_, Exchange{"tcp", "10.202.0.2", 7131, "192.0.2.1", 18131}));
  forwards.remove();
}

}  // namespace
}  // namespace banger
