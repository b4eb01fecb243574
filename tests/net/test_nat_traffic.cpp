// NatTable's rules carrying real traffic: three namespaces of the test's own —
// a "host" with the bridge, a "vm" behind it and an "upstream" that has no
// route back to the VM subnet, so a connection from the VM gets there and
// back only when it is masqueraded to the host's upstream address.
#include <gtest/gtest.h>

#include "net/nat_forwarding.h"
#include "net/nat_table.h"
#include "bridged_vm.h"
#include "netns.h"

namespace banger {
namespace {

class NatTrafficTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = test::netns_unavailable({.programs = {"nft", "python3"}})) GTEST_SKIP() << *why;
    vm_ = std::make_unique<test::ScopedNetns>(false);
    upstream_ = std::make_unique<test::ScopedNetns>(false);
    host_ = std::make_unique<test::ScopedNetns>();
    for (const auto& [ns, command] : test::bridged_vm_commands(*host_, *vm_, *upstream_))
      ASSERT_EQ(ns->exec(command + " 2>&1").status, 0) << command;
    EXPECT_FALSE(enable_ipv4_forwarding());
  }

  // Connects from the VM to the upstream; returns the address the upstream
  // saw, or "" when no connection came through.
  std::string connect_from_vm() const {
    const std::string server =
        "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
        "s.bind((\"192.0.2.2\", 7000)); s.listen(1); s.settimeout(3); print(s.accept()[1][0])";
    const std::string client =
        "import socket, time\n"
        "deadline = time.time() + 2\n"
        "while True:\n"
        "    try:\n"
        "        socket.create_connection((\"192.0.2.2\", 7000), timeout=1).close(); break\n"
        "    except ConnectionRefusedError:\n"
        "        if time.time() > deadline: raise\n"
        "        time.sleep(0.05)\n";
    const auto seen = test::run_command("ip netns exec " + upstream_->name() + " python3 -c '" + server +
                                        "' 2>/dev/null & ip netns exec " + vm_->name() + " python3 -c '" + client +
                                        "' >/dev/null 2>&1; wait");
    return seen.out;
  }

  // Declared first so they go last: the host namespace is left before the
  // others are deleted.
  std::unique_ptr<test::ScopedNetns> vm_;
  std::unique_ptr<test::ScopedNetns> upstream_;
  std::unique_ptr<test::ScopedNetns> host_;
  NatTable nat_;
};

TEST_F(NatTrafficTest, NatNetworkReachesUpstreamMasqueraded) {
  nat_.apply({{"bgr0", "10.201.0.0/24", true}});
  EXPECT_EQ(connect_from_vm(), "192.0.2.1\n");
}

TEST_F(NatTrafficTest, WithoutBangersTableTheVmCannotGetThrough) {
  nat_.apply({{"bgr0", "10.201.0.0/24", true}});
  nat_.remove();
  EXPECT_EQ(connect_from_vm(), "");
}

TEST_F(NatTrafficTest, HostOnlyNetworkIsNotForwarded) {
  nat_.apply({{"bgr0", "10.201.0.0/24", false}});
  EXPECT_EQ(connect_from_vm(), "");
  nat_.apply({{"bgr0", "10.201.0.0/24", true}});
  EXPECT_EQ(connect_from_vm(), "192.0.2.1\n");
}

}  // namespace
}  // namespace banger
