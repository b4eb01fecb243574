// Wake-on-connect's rules and queue carrying real traffic (net/wake_table.h,
// net/wake_queue.h): a "host" namespace (entered) with a bridge, a "vm"
// namespace behind it running a TCP server, an "outside" one upstream. The
// first SYN to the guest is held on the queue until released, then goes on
// (no retransmit wait); with nobody on the queue it passes at once (bypass).
// A kernel without nftables' queue statement (CONFIG_NFT_QUEUE off, as on the
// CI's VM kernel) cannot take banger's wake table: the queue's tests then hold
// the SYNs with iptables' NFQUEUE target at the same (raw) priority instead,
// and the table's own tests skip.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <atomic>
#include <thread>
#include <vector>

#include "net/nat_forwarding.h"
#include "net/nat_table.h"
#include "net/port_forward_table.h"
#include "net/wake_queue.h"
#include "net/wake_table.h"
#include "bridged_vm_test.h"
#include "netns.h"

namespace banger {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint16_t host_port = 18080;
constexpr std::uint16_t queue_num = 2990;

class WakeTrafficTest : public test::BridgedVmTest {
 protected:
  void SetUp() override {
    test::BridgedVmTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Until the server listens: a direct connection answers.
    for (int i = 0; i < 100 && fetch(nullptr, "10.201.0.2", 80).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  // Whether the kernel takes nft's queue statement (a scratch table, in the test's namespace).
  bool nft_queue() const {
    // This thread is in the host namespace: so is a shell it starts.
    const auto probe = test::run_command(
        "nft add table ip wake_probe && nft add chain ip wake_probe c '{ type filter hook output priority raw; }' && "
        "nft add rule ip wake_probe c queue num 1 bypass 2>/dev/null");
    test::run_command("nft delete table ip wake_probe 2>/dev/null");
    return probe.status == 0;
  }
  // Holds SYNs to `address` and to the host's `ports` on queue_num: banger's wake table, or iptables
  // rules where the kernel lacks nft's queue; false (the test skips) when neither can.
  bool hold_rules(const std::string& address, const std::vector<std::uint16_t>& ports) {
    if (nft_queue()) {
      table_.set({{address, ports}});
      return true;
    }
    if (test::run_command("command -v iptables >/dev/null").status != 0) return false;
    const std::string queue = " --syn -j NFQUEUE --queue-num " + std::to_string(queue_num) + " --queue-bypass";
    for (const char* chain : {"PREROUTING", "OUTPUT"}) {
      if (test::run_command(std::string("iptables -t raw -A ") + chain + " -d " + address + " -p tcp" + queue).status != 0)
        return false;
      for (auto port : ports)
        if (test::run_command(std::string("iptables -t raw -A ") + chain +  " -m addrtype --dst-type LOCAL -p tcp --dport " +
                        std::to_string(port) + queue)
                .status != 0)
          return false;
    }
    return true;
  }

  void TearDown() override {
    queue_.reset();
    test::BridgedVmTest::TearDown();
  }

  // One connection attempt from `ns` (nullptr: the host), 3 s at most: what the server said, or "".
  std::string fetch(const test::ScopedNetns* ns, const std::string& address, std::uint16_t port) const {
    const std::string client =
        "import socket\n"
        "try:\n"
        "    s = socket.create_connection((\"" + address + "\", " + std::to_string(port) + "), timeout=3)\n"
        "    print(s.recv(100).decode())\n"
        "except Exception:\n"
        "    pass\n";
    const std::string command = "python3 -c '" + client + "' 2>/dev/null";
    return (ns != nullptr ? ns->exec(command) : test::run_command(command)).out;
  }

  // Binds the queue; each SYN is noted and released after `hold` by a thread
  // of its own, after `before_release` (the VM's start, in bangerd).
  void hold_syns(std::chrono::milliseconds hold, std::function<void()> before_release = [] {}) {
    queue_ = std::make_unique<WakeQueue>(queue_num, [this, hold, before_release](std::uint32_t id, WakeTarget t) {
      {
        std::lock_guard guard(mutex_);
        seen_.push_back(t);
      }
      std::thread([this, id, hold, before_release] {
        std::this_thread::sleep_for(hold);
        before_release();
        queue_->release(id);
      }).detach();
    });
  }
  std::vector<WakeTarget> seen() {
    std::lock_guard guard(mutex_);
    return seen_;
  }

  WakeTable table_{queue_num};
  std::unique_ptr<WakeQueue> queue_;
  std::mutex mutex_;
  std::vector<WakeTarget> seen_;
};

TEST_F(WakeTrafficTest, TheFirstSynToTheGuestIsHeldUntilReleasedThenConnectsWithoutARetransmit) {
  hold_syns(std::chrono::milliseconds(300));
  if (!hold_rules("10.201.0.2", {})) GTEST_SKIP() << "neither nft's queue statement nor iptables here";
  const auto begun = Clock::now();
  EXPECT_EQ(fetch(nullptr, "10.201.0.2", 80), "10.201.0.1\n");
  const auto took = Clock::now() - begun;
  EXPECT_GE(took, std::chrono::milliseconds(300)) << "held";
  EXPECT_LT(took, std::chrono::milliseconds(950)) << "released, not retransmitted after 1 s";
  ASSERT_EQ(seen().size(), 1u) << "only the first segment";
  EXPECT_EQ(seen()[0], (WakeTarget{0x0ac90002u, 80}));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the detached releaser
}

// The forward's DNAT rule comes back with the VM, before the SYN is let go:
// the SYN, held at raw priority, meets it at dstnat.
//
// The forward table exists already (another VM's forward) and is rewritten while the SYN
// is held: its chains must stay (a deleted base chain makes the kernel drop every held
// packet, and the client would wait out its 1 s retransmit). A chain registered meanwhile
// may make the kernel queue the SYN once more: bangerd lets that go at once (its VM no
// longer sleeps), as the releaser here does after its hold.
TEST_F(WakeTrafficTest, ASynToAForwardedPortMeetsTheForwardAddedWhileItWasHeld) {
  PortForwardTable forwards;
  forwards.apply({{"tcp", 19999, "10.201.0.3", 80, "bgr0"}});
  hold_syns(std::chrono::milliseconds(100), [&forwards] {
    forwards.apply({{"tcp", 19999, "10.201.0.3", 80, "bgr0"}, {"tcp", host_port, "10.201.0.2", 80, "bgr0"}});
  });
  if (!hold_rules("10.201.0.2", {host_port})) GTEST_SKIP() << "neither nft's queue statement nor iptables here";
  const auto begun = Clock::now();
  EXPECT_EQ(fetch(outside_.get(), "192.0.2.1", host_port), "192.0.2.2\n");
  EXPECT_LT(Clock::now() - begun, std::chrono::milliseconds(950)) << "not dropped and retransmitted";
  ASSERT_FALSE(seen().empty());
  for (const auto& t : seen()) EXPECT_EQ(t, (WakeTarget{0xc0000201u, host_port}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the detached releasers
}

TEST_F(WakeTrafficTest, WithNobodyOnTheQueueTheRulesLetEverythingPass) {
  if (!hold_rules("10.201.0.2", {})) GTEST_SKIP() << "neither nft's queue statement nor iptables here";
  const auto begun = Clock::now();
  EXPECT_EQ(fetch(nullptr, "10.201.0.2", 80), "10.201.0.1\n");
  EXPECT_LT(Clock::now() - begun, std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace banger
