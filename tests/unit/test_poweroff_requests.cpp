// machinectl poweroff (issue 16): SIGRTMIN+4 waits, blocked, at the VMM, and
// PoweroffRequests turns it into one graceful stop.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "core/poweroff_requests.h"
#include "vmm/process.h"

namespace banger {
namespace {

using namespace std::chrono_literals;

VmRecord vm_in(const std::string& id, VmState state) {
  VmRecord vm;
  vm.id = id;
  vm.name = "vm-" + id;
  vm.state = state;
  return vm;
}

struct PoweroffRequestsTest : ::testing::Test {
  std::vector<VmRecord> vms{vm_in("a", VmState::running), vm_in("b", VmState::running), vm_in("c", VmState::stopped)};
  std::map<pid_t, bool> pending{{1, true}, {2, false}, {3, true}};
  std::vector<std::string> stopped;
  PoweroffRequests requests{{[this] { return vms; },
                             [](const std::string& id) -> std::optional<pid_t> {
                               return id == "a" ? 1 : id == "b" ? 2 : 3;
                             },
                             [this](pid_t pid) { return pending.at(pid); },
                             [this](const VmRecord& vm) { stopped.push_back(vm.id); }}};
};

TEST_F(PoweroffRequestsTest, StopsARunningVmWhoseVmmHasThePoweroffSignalOnce) {
  requests.poll();
  EXPECT_EQ(stopped, std::vector<std::string>{"a"}) << "b has no request, c does not run";
  requests.poll();
  EXPECT_EQ(stopped.size(), 1u) << "asked once while it still runs";
}

TEST_F(PoweroffRequestsTest, AVmStartedAgainCanBePoweredOffAgain) {
  requests.poll();
  vms[0].state = VmState::stopped;
  requests.poll();
  vms[0].state = VmState::running;
  requests.poll();
  EXPECT_EQ(stopped, (std::vector<std::string>{"a", "a"}));
}

TEST(PoweroffSignal, WaitsAtASpawnedProcessInsteadOfKillingIt) {
  const auto log = std::filesystem::temp_directory_path() / "banger-poweroff-signal.log";
  const auto p = spawn_detached({"/bin/sleep", "30"}, log);
  EXPECT_FALSE(signal_pending(p.pid, machined_poweroff_signal()));
  ASSERT_EQ(::kill(p.pid, machined_poweroff_signal()), 0);
  bool pending = false;
  for (int i = 0; i < 100 && !pending; ++i, std::this_thread::sleep_for(10ms))
    pending = signal_pending(p.pid, machined_poweroff_signal());
  EXPECT_TRUE(pending);
  EXPECT_TRUE(is_running(p)) << "SIGRTMIN+4's default action would have killed it";
  ::kill(p.pid, SIGKILL);
  reap_spawned_children([](pid_t, const siginfo_t&) {});
  waitpid(p.pid, nullptr, WNOHANG);
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace banger
