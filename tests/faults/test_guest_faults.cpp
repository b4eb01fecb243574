// Faults of a running guest, with real QEMU guests of the real bangerd in a
// network namespace of the suite's own: its VMM killed, its tap deleted behind
// banger's back, its VMM hung (SIGSTOP: QMP never answers) when it is stopped.
// Each ends in a clear state with nothing left behind, and the VM starts again.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "default_image.h"
#include "guest_shell.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class GuestFaults : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"nft", "dnsmasq"}, .devices = {"/dev/net/tun"}})) return;
    ClientTest::SetUpTestSuite();
  }

  void SetUp() override {
    RealGuestTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!image_imported_) {
      auto image = build_and_import_default_image(env());
      ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
      image_imported_ = true;
    }
  }

  // A guest of the default image, started (its SSH server answered).
  std::string booted(const std::string& name) {
    const std::string vm = client_->create_ready(*recorder_, name, {{"memory", sdbus::Variant(256u)}});
    call(vm, "Start");
    EXPECT_EQ(client_->vm_string(vm, "State"), "running") << client_->vm_string(vm, "LastError");
    return vm;
  }

  fs::path runtime_of(const std::string& vm) { return env().dir() / "run" / "vms" / client_->vm_string(vm, "Id"); }

  pid_t vmm_pid(const std::string& vm) {
    std::ifstream in(runtime_of(vm) / "handles.json");
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_object() || !j.contains("handles")) return 0;
    return j["handles"].value("pid", 0);
  }

  // What a VM that does not run must not have: a VMM, its tap, runtime files
  // but the console log (the post-mortem).
  std::vector<std::string> left_behind(const std::string& vm) {
    std::vector<std::string> left;
    const auto runtime = runtime_of(vm);
    for (pid_t pid : processes_mentioning(runtime.string())) left.push_back("process " + std::to_string(pid));
    const auto tap = client_->vm_string(vm, "TapDevice");
    if (!link_in(*netns_, tap).is_null()) left.push_back("tap " + tap);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(runtime, ec))
      if (entry.path().filename() != "console.log") left.push_back(entry.path().string());
    return left;
  }

  bool tap_on_bridge(const std::string& vm) {
    const auto link = link_in(*netns_, client_->vm_string(vm, "TapDevice"));
    return is_up(link) && link.value("master", "") == "bg-default";
  }

  static inline bool image_imported_ = false;
};

TEST_F(GuestFaults, KilledVmmMakesTheRunningVmFailedAndItStartsAgain) {
  const std::string vm = booted("crash");
  const pid_t pid = vmm_pid(vm);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "failed", 15s)) << client_->vm_string(vm, "State");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "the VMM was killed by signal 9 (SIGKILL)");
  EXPECT_TRUE(poll_until([&] { return left_behind(vm).empty(); }, 5s)) << ::testing::PrintToString(left_behind(vm));
  call(vm, "Start");
  EXPECT_EQ(client_->vm_string(vm, "State"), "running") << client_->vm_string(vm, "LastError");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");
  EXPECT_TRUE(tap_on_bridge(vm));
  call(vm, "Kill");
  call(vm, "Delete");
}

TEST_F(GuestFaults, TapDeletedBehindBangersBackDoesNotStopStopStartOrDelete) {
  const std::string vm = booted("tapless");
  const std::string tap = client_->vm_string(vm, "TapDevice");
  netns_->ip("link del " + tap);
  call(vm, "Stop");
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped") << client_->vm_string(vm, "LastError");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");
  EXPECT_TRUE(left_behind(vm).empty()) << ::testing::PrintToString(left_behind(vm));

  // The next start makes it again, and the guest is reached through it (Start waited for its SSH).
  call(vm, "Start");
  EXPECT_EQ(client_->vm_string(vm, "State"), "running") << client_->vm_string(vm, "LastError");
  EXPECT_TRUE(tap_on_bridge(vm));

  netns_->ip("link del " + tap);
  call(vm, "Kill");
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  const auto state_dir = env().dir() / "state" / "vms" / client_->vm_string(vm, "Id");
  const auto runtime = runtime_of(vm);
  call(vm, "Delete");
  EXPECT_FALSE(fs::exists(state_dir));
  EXPECT_FALSE(fs::exists(runtime));
  EXPECT_TRUE(link_in(*netns_, tap).is_null());
}

TEST_F(GuestFaults, HungVmmIsKilledByStopWithinTheQmpTimeout) {
  const std::string vm = booted("hung");
  const pid_t pid = vmm_pid(vm);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGSTOP), 0);  // QMP accepts the connection and never answers
  const auto asked = Clock::now();
  auto e = error_of([&] { call(vm, "Stop"); });
  const auto took = Clock::now() - asked;
  kill(pid, SIGCONT);  // in case the stop did not end it
  EXPECT_FALSE(e) << e->getName() << ": " << e->getMessage();
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped") << client_->vm_string(vm, "LastError");
  // [qemu] qmp_timeout_ms = 3000 for the power button, then SIGTERM's 2 s grace and SIGKILL.
  EXPECT_GE(took, 3s);
  EXPECT_LT(took, 12s) << "the stop waited on the hung VMM for longer than its timeouts";
  EXPECT_TRUE(poll_until([&] { return left_behind(vm).empty(); }, 5s)) << ::testing::PrintToString(left_behind(vm));
  call(vm, "Delete");
}

}  // namespace
}  // namespace banger::test
