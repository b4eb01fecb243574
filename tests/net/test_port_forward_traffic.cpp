// Forward rules carrying real traffic: a "host" namespace (entered) with a
// bridge, a "vm" namespace behind it running a TCP server, and an "outside"
// namespace on the host's upstream link. Both banger tables are in place as
// the daemon keeps them (NAT network + forwards).
#include <gtest/gtest.h>
#include <signal.h>

#include "net/nat_forwarding.h"
#include "net/nat_table.h"
#include "net/port_forward_table.h"
#include "bridged_vm_test.h"
#include "netns.h"

namespace banger {
namespace {

constexpr std::uint16_t host_port = 18080;

class PortForwardTrafficTest : public test::BridgedVmTest {
 protected:
  // Connects to address:port from `ns` (nullptr: the host); returns what the
  // server said (the client address it saw), or "" when nothing came through.
  std::string fetch(const test::ScopedNetns* ns, const std::string& address, std::uint16_t port = host_port) const {
    const std::string client =
        "import socket, time\n"
        "deadline = time.time() + 3\n"
        "while True:\n"
        "    try:\n"
        "        s = socket.create_connection((\"" + address + "\", " + std::to_string(port) + "), timeout=1)\n"
        "        print(s.recv(100).decode()); break\n"
        "    except ConnectionRefusedError:\n"
        "        if time.time() > deadline: raise\n"
        "        time.sleep(0.05)\n";
    const std::string command = "python3 -c '" + client + "' 2>/dev/null";
    return (ns != nullptr ? ns->exec(command) : test::run_command(command)).out;
  }

  PortForwardTable table_;
  const ForwardRule web_{"tcp", host_port, "10.201.0.2", 80, "bgr0"};
};

TEST_F(PortForwardTrafficTest, TheServerRunsDirectly) {
  EXPECT_EQ(fetch(nullptr, "10.201.0.2", 80), "10.201.0.1\n");
}

TEST_F(PortForwardTrafficTest, HostLoopbackReachesTheGuestMasqueradedToTheBridge) {
  table_.apply({web_});
  EXPECT_EQ(fetch(nullptr, "127.0.0.1"), "10.201.0.1\n");
}

TEST_F(PortForwardTrafficTest, TheHostsOwnAddressReachesTheGuestFromTheHost) {
  table_.apply({web_});
  EXPECT_EQ(fetch(nullptr, "192.0.2.1"), "192.0.2.1\n");
}

TEST_F(PortForwardTrafficTest, OutsideReachesTheGuestThroughTheHostsAddress) {
  EXPECT_EQ(fetch(outside_.get(), "192.0.2.1"), "") << "nothing listens on the host before the forward";
  table_.apply({web_});
  EXPECT_EQ(fetch(outside_.get(), "192.0.2.1"), "192.0.2.2\n");
}

TEST_F(PortForwardTrafficTest, RemovedForwardsReachNothing) {
  table_.apply({web_});
  ASSERT_EQ(fetch(nullptr, "127.0.0.1"), "10.201.0.1\n");
  table_.apply({});
  EXPECT_EQ(fetch(nullptr, "127.0.0.1"), "");
  EXPECT_EQ(fetch(outside_.get(), "192.0.2.1"), "");
}

TEST_F(PortForwardTrafficTest, ANatTableRewriteKeepsTheForwards) {
  table_.apply({web_});
  NatTable().apply({{"bgr0", "10.201.0.0/24", true}});
  EXPECT_EQ(fetch(outside_.get(), "192.0.2.1"), "192.0.2.2\n");
}

// Issue 18: every VM start and stop applies the forwards again, mostly the
// same; writing the table whole each time cost ~12 ms (an RCU grace period).
TEST_F(PortForwardTrafficTest, TheSameForwardsAppliedAgainLeaveTheTableAsItIs) {
  table_.apply({web_});
  // With handles: a table written again gets a new one.
  const auto written = host_->exec("nft -a list table ip banger_forwards").out;
  ASSERT_NE(written.find("# handle"), std::string::npos) << written;
  table_.apply({web_});
  EXPECT_EQ(host_->exec("nft -a list table ip banger_forwards").out, written);
  EXPECT_EQ(fetch(outside_.get(), "192.0.2.1"), "192.0.2.2\n");
}

// The guard against loopback-addressed packets flushed, or the whole table deleted,
// behind banger's back: the same forwards applied again write it whole.
TEST_F(PortForwardTrafficTest, AForwardTableChangedBehindBangersBackIsWrittenAgain) {
  table_.apply({web_});
  const auto written = host_->exec("nft list table ip banger_forwards").out;
  ASSERT_EQ(host_->exec("nft flush chain ip banger_forwards guard").status, 0);
  table_.apply({web_});
  EXPECT_EQ(host_->exec("nft list table ip banger_forwards").out, written);
  ASSERT_EQ(host_->exec("nft delete table ip banger_forwards").status, 0);
  table_.apply({web_});
  EXPECT_EQ(host_->exec("nft list table ip banger_forwards").out, written);
  EXPECT_EQ(fetch(outside_.get(), "192.0.2.1"), "192.0.2.2\n");
}

}  // namespace
}  // namespace banger
