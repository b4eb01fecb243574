// The input chain of banger's table (users) against real traffic: the
// bridged_vm.h layout, with services the test runs in the "host" namespace on
// the gateway (10.201.0.1) and on another host address (192.0.2.1). The "vm"
// may reach DNS on the gateway and nothing else of the host's own.
#include <gtest/gtest.h>

#include "net/nat_table.h"
#include "bridged_vm.h"
#include "netns.h"
#include "traffic.h"

namespace banger {
namespace {

using test::gets_through;

class NatInputTrafficTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = test::netns_unavailable({.programs = {"nft", "python3", "ping"}})) GTEST_SKIP() << *why;
    vm_ = std::make_unique<test::ScopedNetns>(false);
    upstream_ = std::make_unique<test::ScopedNetns>(false);
    host_ = std::make_unique<test::ScopedNetns>();
    for (const auto& [ns, command] : test::bridged_vm_commands(*host_, *vm_, *upstream_))
      ASSERT_EQ(ns->exec(command + " 2>&1").status, 0) << command;
  }
  bool from_vm(const std::string& proto, const std::string& address, int port) {
    return gets_through(*host_, *vm_, proto, address, port);
  }

  std::unique_ptr<test::ScopedNetns> vm_;
  std::unique_ptr<test::ScopedNetns> upstream_;
  std::unique_ptr<test::ScopedNetns> host_;
  NatTable nat_;
};

TEST_F(NatInputTrafficTest, WithoutBangersTableTheHostsServicesAreOpenToTheVm) {
  // The baseline that makes the other tests mean something.
  EXPECT_TRUE(from_vm("tcp", "10.201.0.1", 7001));
  EXPECT_TRUE(from_vm("tcp", "192.0.2.1", 7002));
}

TEST_F(NatInputTrafficTest, TheVmReachesNoHostServiceOnTheGatewayOrAnotherAddress) {
  nat_.apply({{"bgr0", "10.201.0.0/24", true}});
  EXPECT_FALSE(from_vm("tcp", "10.201.0.1", 7001));
  EXPECT_FALSE(from_vm("tcp", "192.0.2.1", 7002));
  EXPECT_FALSE(from_vm("udp", "10.201.0.1", 7003));
  EXPECT_FALSE(from_vm("tcp", "192.0.2.1", 53)) << "DNS only on the gateway";
  nat_.apply({{"bgr0", "10.201.0.0/24", false}});
  EXPECT_FALSE(from_vm("tcp", "10.201.0.1", 7001)) << "a host-only network as well";
}

TEST_F(NatInputTrafficTest, TheVmReachesDnsAndEchoOnTheGateway) {
  nat_.apply({{"bgr0", "10.201.0.0/24", true}});
  EXPECT_TRUE(from_vm("udp", "10.201.0.1", 53));
  EXPECT_TRUE(from_vm("tcp", "10.201.0.1", 53));
  EXPECT_EQ(vm_->exec("ping -c 1 -W 2 10.201.0.1 >/dev/null 2>&1").status, 0);
}

TEST_F(NatInputTrafficTest, TheHostStillReachesTheVmAndGetsItsAnswers) {
  nat_.apply({{"bgr0", "10.201.0.0/24", true}});
  EXPECT_TRUE(gets_through(*vm_, *host_, "tcp", "10.201.0.2", 7005)) << "as bangerd's SSH into a guest";
  EXPECT_TRUE(gets_through(*vm_, *host_, "udp", "10.201.0.2", 7006));
}

}  // namespace
}  // namespace banger
