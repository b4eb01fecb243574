// Wake-on-connect (issue 19) through the bus: bangerd-test with host
// networking (taps, nftables, the netfilter queue) inside a network namespace
// this suite makes (bangerd_netns.h), VMs of the stand-in backend on the
// default network. The stand-in answers no TCP, so what is checked is bangerd's
// side: the wake table while a VM sleeps, a connect to its address starting
// it, the held SYN let go (the kernel's queue counters), the rules made again
// after a restart and gone with the VM.
#include <chrono>
#include <sstream>
#include <string>
#include <thread>

#include "bangerd_netns.h"
#include "test_support.h"

namespace banger::test {
namespace {

using namespace std::chrono_literals;

struct QueueCounters {
  long held = -1;    // queue_total: packets waiting for a verdict now
  long queued = -1;  // id_sequence: packets ever queued
};

class Wake : public ClientTest {
 protected:
  static void SetUpTestSuite() {
    netns_ = bangerd_netns({.programs = {"nft", "python3"}}, netns_skip_);
    if (!netns_) return;
    // bangerd's wake table needs nft's queue statement (CONFIG_NFT_QUEUE; the CI's VM kernel lacks it).
    const auto probe = netns_->exec(
        "nft -f - <<'EOF'\ntable ip wake_probe { chain c { type filter hook output priority raw; queue num 1 bypass; }; }\nEOF");
    netns_->exec("nft delete table ip wake_probe");
    if (probe.status != 0) {
      netns_skip_ = "the kernel has no nft queue statement (CONFIG_NFT_QUEUE)";
      netns_.reset();
      return;
    }
    BusTest::SetUpTestSuite();
  }
  static void TearDownTestSuite() {
    BusTest::TearDownTestSuite();
    netns_.reset();
  }
  void SetUp() override {
    if (!netns_skip_.empty()) GTEST_SKIP() << netns_skip_;
    ClientTest::SetUp();
  }

  std::string wake_table() { return netns_->exec("nft list table ip banger_wake 2>/dev/null").out; }
  // The kernel's counters of queue 2990 in the namespace (/proc/net/netfilter/nfnetlink_queue).
  QueueCounters queue() {
    std::istringstream lines(netns_->exec("cat /proc/net/netfilter/nfnetlink_queue").out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream f(line);
      long num, portid, total, mode, range, dropped, user_dropped, sequence;
      if (f >> num >> portid >> total >> mode >> range >> dropped >> user_dropped >> sequence && num == 2990)
        return {total, sequence};
    }
    return {};
  }
  // A connect to address:port from the namespace, in the background; ends by itself within 5 s.
  void connect_to(const std::string& address, int port) {
    netns_->exec("timeout 6 python3 -c 'import socket\ntry: socket.create_connection((\"" + address + "\", " +
                 std::to_string(port) + "), timeout=5)\nexcept Exception: pass' >/dev/null 2>&1 &");
  }
  std::string sleeping_vm(const std::string& name, std::uint32_t idle_s) {
    const std::string vm = client_->create_ready(
        *recorder_, name, {{"backend", sdbus::Variant(std::string("test"))}, {"idle_suspend", sdbus::Variant(idle_s)}});
    client_->vm_call(vm, "Start");
    EXPECT_TRUE(client_->wait_state(*recorder_, vm, "running")) << env().logs();
    client_->vm_call(vm, "Suspend");
    EXPECT_EQ(client_->vm_string(vm, "State"), "suspended") << client_->vm_string(vm, "LastError");
    return vm;
  }

  static inline std::unique_ptr<ScopedNetns> netns_;
  static inline std::string netns_skip_;
};

TEST_F(Wake, AConnectToASuspendedVmsAddressStartsItAndTheSynIsLetGo) {
  const std::string vm = sleeping_vm("wake-addr", 3600);
  const std::string address = client_->vm_string(vm, "IPv4Address");
  ASSERT_FALSE(address.empty());
  const auto table = wake_table();
  EXPECT_NE(table.find("ip daddr " + address + " tcp flags & (syn | ack) == syn queue"), std::string::npos)
      << table << env().logs();
  const auto before = queue();
  ASSERT_EQ(before.held, 0) << "bangerd bound queue 2990 in its namespace\n" << env().logs();

  const auto begun = std::chrono::steady_clock::now();
  connect_to(address, 22);
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "running", 10s)) << env().logs();
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 5s) << "woken by the first SYN, not a later one";
  // The SYN was queued once and is no longer held.
  for (int i = 0; i < 50 && queue().held != 0; ++i) std::this_thread::sleep_for(20ms);
  const auto after = queue();
  EXPECT_GE(after.queued, before.queued + 1);
  EXPECT_EQ(after.held, 0) << "released";
  EXPECT_EQ(wake_table().find("queue"), std::string::npos) << "no VM to wake: no rule";
  EXPECT_NE(env().logs().find("started by a TCP connection"), std::string::npos);
  client_->vm_call(vm, "Kill");
  client_->vm_call(vm, "Delete");
}

TEST_F(Wake, AVmSuspendedWithoutIdleSleepIsNotWokenByAConnect) {
  const std::string vm = sleeping_vm("wake-never", 0);
  EXPECT_EQ(wake_table().find("queue"), std::string::npos);
  connect_to(client_->vm_string(vm, "IPv4Address"), 22);
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(client_->vm_string(vm, "State"), "suspended");
  client_->vm_call(vm, "Delete");
}

TEST_F(Wake, TheRulesAreMadeAgainAfterARestartAndGoWithTheVm) {
  const std::string vm = sleeping_vm("wake-restart", 3600);
  const std::string address = client_->vm_string(vm, "IPv4Address");
  ASSERT_NE(wake_table().find("ip daddr " + address), std::string::npos);
  ASSERT_EQ(netns_->exec("nft delete table ip banger_wake").status, 0);  // lost with the host's reboot, say
  ASSERT_NO_THROW(env().restart_daemon());
  EXPECT_EQ(client_->vm_string(vm, "State"), "suspended");
  EXPECT_NE(wake_table().find("ip daddr " + address), std::string::npos) << env().logs();
  client_->vm_call(vm, "Delete");
  EXPECT_EQ(wake_table().find("queue"), std::string::npos) << "nothing left behind";
}

}  // namespace
}  // namespace banger::test
