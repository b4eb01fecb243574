// VM.Pause and VM.Resume (issue 19) with the stand-in backend, whose pause is
// SIGSTOP: the VMM stays, stopped; Resume lets it go on; the state machine's
// refusals come back as InvalidState; a restarted bangerd keeps a paused VM paused.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kInvalidState = "dev.banger.banger1.Error.InvalidState";

class Pause : public ClientTest {
 protected:
  // The process state letter of /proc/<pid>/stat ('T' stopped, 'S' sleeping …), '?' when it is gone.
  char process_state(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = stat.rfind(')');
    return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
  }
  std::string error_name(const std::function<void()>& call) {
    auto error = error_of(call);
    return error ? error->getName() : "";
  }
};

TEST_F(Pause, PauseStopsTheVmmWhereItIsAndResumeLetsItGoOn) {
  const std::string vm = running_vm("pause-vm");
  const pid_t pid = vmm_pid(vm);
  ASSERT_GT(pid, 0);
  client_->vm_call(vm, "Pause");
  EXPECT_EQ(client_->vm_string(vm, "State"), "paused");
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "paused"));
  EXPECT_EQ(process_state(pid), 'T') << "the VMM is stopped, not ended";
  EXPECT_EQ(vmm_pid(vm), pid) << "the same VMM";
  client_->vm_call(vm, "Resume");
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_NE(process_state(pid), 'T');
  EXPECT_NE(process_state(pid), '?');
  client_->vm_call(vm, "Kill");
}

TEST_F(Pause, WrongStatesAnswerInvalidState) {
  const std::string vm = client_->create_ready(*recorder_, "pause-states");
  EXPECT_EQ(error_name([&] { client_->vm_call(vm, "Pause"); }), kInvalidState) << "created";
  EXPECT_EQ(error_name([&] { client_->vm_call(vm, "Resume"); }), kInvalidState) << "created";
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  EXPECT_EQ(error_name([&] { client_->vm_call(vm, "Resume"); }), kInvalidState) << "running";
  client_->vm_call(vm, "Pause");
  EXPECT_EQ(error_name([&] { client_->vm_call(vm, "Pause"); }), kInvalidState) << "paused";
  EXPECT_EQ(error_name([&] { client_->vm_call(vm, "Delete"); }), kInvalidState) << "paused: stop it first";
  EXPECT_EQ(error_name([&] { client_->vm_call(vm, "Start"); }), kInvalidState) << "paused";
  // A graceful stop of a paused VM works (it resumes the guest first, for its shutdown).
  client_->stop(vm);
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  client_->vm_call(vm, "Delete");
}

TEST_F(Pause, KillEndsAPausedVm) {
  const std::string vm = running_vm("pause-kill");
  const pid_t pid = vmm_pid(vm);
  client_->vm_call(vm, "Pause");
  client_->vm_call(vm, "Kill");
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  for (int i = 0; i < 50 && process_state(pid) != '?' && process_state(pid) != 'Z'; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(process_state(pid) == '?' || process_state(pid) == 'Z');
}

TEST_F(Pause, ARestartedBangerdKeepsAPausedVmPaused) {
  const std::string vm = running_vm("pause-restart");
  const pid_t pid = vmm_pid(vm);
  client_->vm_call(vm, "Pause");
  ASSERT_NO_THROW(env().restart_daemon());
  EXPECT_EQ(client_->vm_string(vm, "State"), "paused") << client_->vm_string(vm, "LastError");
  EXPECT_EQ(vmm_pid(vm), pid) << "adopted, not started anew";
  EXPECT_EQ(process_state(pid), 'T');
  client_->vm_call(vm, "Resume");
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_NE(process_state(pid), 'T');
  client_->vm_call(vm, "Kill");
}

}  // namespace
}  // namespace banger::test
