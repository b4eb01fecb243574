// The input chain of banger's table (users) against real traffic: the
// bridged_vm.h layout, with services the test runs in the "host" namespace on
// the gateway (10.201.0.1) and on another host address (192.0.2.1). The "vm"
// may reach DNS on the gateway and nothing else of the host's own.
#include <gtest/gtest.h>

#include "net/nat_table.h"
#include "bridged_vm.h"
#include "netns.h"

namespace banger {
namespace {

// One connection (tcp) or one datagram with an answer (udp) from `client_ns`
// to a server `server_ns` runs on address:port; true when it got through.
bool gets_through(const test::ScopedNetns& server_ns, const test::ScopedNetns& client_ns, const std::string& proto,
                  const std::string& address, int port) {
  const std::string kind = proto == "tcp" ? "socket.SOCK_STREAM" : "socket.SOCK_DGRAM";
  const std::string target = "(\"" + address + "\", " + std::to_string(port) + ")";
  const std::string server =
      "import socket; s = socket.socket(socket.AF_INET, " + kind +
      "); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(" + target + "); s.settimeout(8)\n" +
      (proto == "tcp" ? "s.listen(1); c = s.accept()[0]; c.sendall(b\"hi\"); c.close()\n"
                      : "d, peer = s.recvfrom(64); s.sendto(b\"hi\", peer)\n");
  // Tries for 5 s: the server may still be starting (refused, or no answer yet);
  // a dropped packet never gets an answer.
  const std::string client =
      "import socket, time\n"
      "deadline = time.time() + 5\n"
      "while time.time() < deadline:\n"
      "    s = socket.socket(socket.AF_INET, " + kind + "); s.settimeout(1)\n"
      "    try:\n" +
      (proto == "tcp" ? "        s.connect(" + target + ")\n" : "        s.sendto(b\"q\", " + target + ")\n") +
      "        print(s.recv(64).decode()); break\n"
      "    except OSError:\n"
      "        time.sleep(0.1)\n";
  const auto seen = test::run_command("ip netns exec " + server_ns.name() + " python3 -c '" + server +
                                      "' >/dev/null 2>&1 & ip netns exec " + client_ns.name() + " python3 -c '" +
                                      client + "' 2>/dev/null; kill %1 2>/dev/null; wait");
  return seen.out == "hi\n";
}

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
