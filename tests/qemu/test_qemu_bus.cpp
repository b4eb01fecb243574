// A real guest behind the whole service: D-Bus calls on a private bus reach
// bangerd, whose QEMU backend boots the default image (TCG where KVM cannot run
// guests). The guest's serial console says when it is up.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "default_image.h"
#include "test_support.h"
#include "vmm_privileges.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;

class QemuBus : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto build = build_and_import_default_image(env());
    ASSERT_TRUE(build.ok()) << "the default image could not be built or imported:\n" << build.describe();
  }

  fs::path runtime_of(const std::string& vm) { return env().dir() / "run" / "vms" / client_->vm_string(vm, "Id"); }

  bool qemu_runs_for(const fs::path& runtime) {
    return env().run_as("", {"/usr/bin/pgrep", "-f", (runtime / "qmp.sock").string()}).exit_code == 0;
  }
};

TEST_F(QemuBus, RealGuestBootsStopsGracefullyAndLeavesNothing) {
  const std::string vm = client_->create_ready(*recorder_, "qemu-vm", {{"memory", sdbus::Variant(256u)}});
  const auto runtime = runtime_of(vm);
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "LastError");
  ASSERT_TRUE(client_->console_says(vm, "banger: guest ready", 90s)) << env().logs();
  EXPECT_TRUE(client_->console_says(vm, "banger: guest ready (hostname qemu-vm)", 1s))
      << "the guest's init should have applied the name banger gave it";
  // Issue 17, finding 3: QEMU is no root process, and has no capability. Its
  // uid is the VM's own, held (claimed in the state dir) until the delete.
  const pid_t qemu = recorded_vmm_pid(runtime);
  EXPECT_NO_FATAL_FAILURE(expect_unprivileged_vmm(qemu));
  const auto claim = env().dir() / "state" / "jailer-uids" / std::to_string(process_uid(qemu));
  EXPECT_TRUE(fs::exists(claim)) << claim;

  client_->stop(vm);  // ACPI power button; the guest powers off by itself
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");
  EXPECT_FALSE(qemu_runs_for(runtime));
  std::vector<fs::path> left{fs::directory_iterator(runtime), fs::directory_iterator()};
  EXPECT_EQ(left, std::vector<fs::path>{runtime / "console.log"}) << "only the console log outlives the VMM";
  EXPECT_TRUE(client_->console_says(vm, "banger: guest ready", 1s)) << "the log is readable after the stop";

  const auto disk = env().dir() / "state" / "vms" / client_->vm_string(vm, "Id");
  client_->vm_call(vm, "Delete");
  EXPECT_FALSE(fs::exists(disk));
  EXPECT_FALSE(fs::exists(runtime));
  EXPECT_FALSE(fs::exists(claim)) << "the VM's uid is given back";
}

TEST_F(QemuBus, RunningGuestSurvivesABangerdRestart) {
  const std::string vm = client_->create_ready(*recorder_, "qemu-adopt", {{"memory", sdbus::Variant(256u)}});
  const auto runtime = runtime_of(vm);
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  env().kill_daemon();
  env().start_daemon();
  auto again = std::make_unique<BusClient>(env().address());
  EXPECT_EQ(again->vm_string(vm, "State"), "running");
  EXPECT_TRUE(qemu_runs_for(runtime));
  again->vm_call(vm, "Kill");
  EXPECT_EQ(again->vm_string(vm, "State"), "stopped");
  EXPECT_FALSE(qemu_runs_for(runtime));
  again->vm_call(vm, "Delete");
}

// Issue 19: a paused QEMU (QMP stop) outlives a killed bangerd; the new one adopts it,
// asks it (query-status "paused") and keeps the VM paused; Resume (QMP cont) and a
// graceful Stop of a paused VM (resumed first, for the power button) then work.
TEST_F(QemuBus, PausedGuestStaysPausedOverABangerdRestart) {
  const std::string vm = client_->create_ready(*recorder_, "qemu-paused", {{"memory", sdbus::Variant(256u)}});
  const auto runtime = runtime_of(vm);
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  // Booted, so that its init hears the power button at the end (a booting guest does not yet).
  ASSERT_TRUE(client_->console_says(vm, "banger: guest ready", 90s)) << env().logs();
  client_->vm_call(vm, "Pause");
  EXPECT_EQ(client_->vm_string(vm, "State"), "paused");
  env().kill_daemon();
  env().start_daemon();
  auto again = std::make_unique<BusClient>(env().address());
  EXPECT_EQ(again->vm_string(vm, "State"), "paused") << again->vm_string(vm, "LastError");
  EXPECT_TRUE(qemu_runs_for(runtime));
  again->vm_call(vm, "Resume");
  EXPECT_EQ(again->vm_string(vm, "State"), "running");
  again->vm_call(vm, "Pause");
  again->stop(vm);
  EXPECT_EQ(again->vm_string(vm, "State"), "stopped");
  EXPECT_FALSE(qemu_runs_for(runtime));
  again->vm_call(vm, "Delete");
}

TEST_F(QemuBus, RestartBootsAgainAndAKilledQemuFailsTheVm) {
  const std::string vm = client_->create_ready(*recorder_, "qemu-again", {{"memory", sdbus::Variant(256u)}});
  const auto runtime = runtime_of(vm);
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  ASSERT_TRUE(client_->console_says(vm, "banger: guest ready", 90s)) << env().logs();

  client_->vm_call(vm, "Restart");  // graceful stop, then a new VMM and a new console log
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  ASSERT_TRUE(client_->console_says(vm, "banger: guest ready", 90s)) << "the guest booted again\n" << env().logs();

  // QEMU dies behind banger's back: noticed at once, the VM fails with the reason.
  ASSERT_EQ(env().run_as("", {"/usr/bin/pkill", "-KILL", "-f", (runtime / "qmp.sock").string()}).exit_code, 0);
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "failed", 10s)) << client_->vm_string(vm, "State");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "the VMM was killed by signal 9 (SIGKILL)");
  EXPECT_FALSE(qemu_runs_for(runtime));
  std::vector<fs::path> left{fs::directory_iterator(runtime), fs::directory_iterator()};
  EXPECT_EQ(left, std::vector<fs::path>{runtime / "console.log"}) << "the run's sockets and files are cleaned up";
  client_->vm_call(vm, "Delete");
  EXPECT_FALSE(fs::exists(runtime));
}

}  // namespace
}  // namespace banger::test
