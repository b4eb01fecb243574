// VM.Suspend and the restore of Start (issue 19) with the stand-in backend,
// whose saved state is a line naming the VM and its VMM's pid: the VMM ends,
// the state is on disk under the state dir, Start loads it into a new VMM,
// a restarted bangerd keeps the VM suspended, a state of another VMM version is
// dropped with LastError saying why, and the refusals answer InvalidState.
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

class Suspend : public ClientTest {
 protected:
  fs::path saved_dir(const std::string& vm) { return env().dir() / "state" / "saved-states" / client_->vm_string(vm, "Id"); }
  fs::path runtime_dir(const std::string& vm) { return env().dir() / "run" / "vms" / client_->vm_string(vm, "Id"); }
  std::string read(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
  }
  bool gone(pid_t pid) {
    for (int i = 0; i < 100; ++i) {
      if (::kill(pid, 0) != 0) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  std::string error_name(const std::function<void()>& call) {
    auto error = error_of(call);
    return error ? error->getName() : "";
  }
  void start_with(const std::string& vm, bool fresh) {
    env().busctl("", {"call", "dev.banger.banger1", vm, "dev.banger.banger1.VM", "StartWith", "a{sv}", "1", "fresh",
                      "b", fresh ? "true" : "false"});
  }
};

TEST_F(Suspend, SuspendEndsTheVmmAndStartLoadsTheStateIntoANewOne) {
  const std::string vm = running_vm("suspend-vm");
  const pid_t pid = vmm_pid(vm);
  ASSERT_GT(pid, 0);
  client_->vm_call(vm, "Suspend");
  EXPECT_EQ(client_->vm_string(vm, "State"), "suspended");
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "suspended"));
  EXPECT_TRUE(gone(pid)) << "the VMM ended";
  EXPECT_EQ(vmm_pid(vm), 0) << "no handles";
  EXPECT_TRUE(fs::exists(saved_dir(vm) / "manifest"));
  const std::string saved = read(saved_dir(vm) / "vmm" / "state");
  EXPECT_EQ(saved, "test-vmm-state " + client_->vm_string(vm, "Id") + " pid " + std::to_string(pid));

  client_->vm_call(vm, "Start");
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_EQ(read(runtime_dir(vm) / "restored-from"), saved) << "the new VMM loaded what the old one saved";
  EXPECT_NE(vmm_pid(vm), pid);
  EXPECT_FALSE(fs::exists(saved_dir(vm))) << "the state goes once the guest runs on";
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");
  client_->vm_call(vm, "Kill");
}

TEST_F(Suspend, ARestartedBangerdKeepsASuspendedVmAndRestoresIt) {
  const std::string vm = running_vm("suspend-restart");
  client_->vm_call(vm, "Suspend");
  ASSERT_NO_THROW(env().restart_daemon());
  EXPECT_EQ(client_->vm_string(vm, "State"), "suspended") << client_->vm_string(vm, "LastError");
  client_->vm_call(vm, "Start");
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_TRUE(fs::exists(runtime_dir(vm) / "restored-from"));
  client_->vm_call(vm, "Kill");
}

TEST_F(Suspend, AStateOfAnotherVmmVersionIsDroppedAndTheVmBootsAfreshSayingWhy) {
  const std::string vm = running_vm("suspend-upgrade");
  client_->vm_call(vm, "Suspend");
  env().set_faults({"saved_state_format=test-vmm 2"});
  client_->vm_call(vm, "Start");
  env().set_faults({});
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_FALSE(fs::exists(runtime_dir(vm) / "restored-from")) << "booted afresh";
  const auto why = client_->vm_string(vm, "LastError");
  EXPECT_NE(why.find("saved state was dropped"), std::string::npos) << why;
  EXPECT_NE(why.find("test-vmm 2"), std::string::npos) << why;
  client_->vm_call(vm, "Kill");
}

TEST_F(Suspend, AStateThatWillNotLoadIsDroppedAndTheStartFails) {
  const std::string vm = running_vm("suspend-corrupt");
  client_->vm_call(vm, "Suspend");
  env().set_faults({"load"});
  auto e = error_of([&] { client_->vm_call(vm, "Start"); });
  env().set_faults({});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->getName(), "dev.banger.banger1.Error.BackendFailed");
  EXPECT_EQ(client_->vm_string(vm, "State"), "failed");
  EXPECT_NE(client_->vm_string(vm, "LastError").find("boots the VM afresh"), std::string::npos);
  EXPECT_FALSE(fs::exists(saved_dir(vm)));
  client_->vm_call(vm, "Start");
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  client_->vm_call(vm, "Kill");
}

TEST_F(Suspend, AFailedSaveLeavesTheVmRunningOnItsVmm) {
  const std::string vm = running_vm("suspend-fail");
  const pid_t pid = vmm_pid(vm);
  env().set_faults({"save"});
  auto e = error_of([&] { client_->vm_call(vm, "Suspend"); });
  env().set_faults({});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->getName(), "dev.banger.banger1.Error.BackendFailed");
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_EQ(vmm_pid(vm), pid);
  EXPECT_FALSE(fs::exists(saved_dir(vm)));
  client_->vm_call(vm, "Kill");
}

TEST_F(Suspend, FreshBootsAfreshStopDiscardsAndWrongStatesAreRefused) {
  const std::string vm = client_->create_ready(*recorder_, "suspend-states");
  EXPECT_EQ(error_name([&] { client_->vm_call(vm, "Suspend"); }), kInvalidState) << "created";
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  client_->vm_call(vm, "Suspend");
  EXPECT_EQ(error_name([&] { client_->vm_call(vm, "Suspend"); }), kInvalidState) << "suspended";
  EXPECT_EQ(error_name([&] { client_->vm_call(vm, "Resume"); }), kInvalidState) << "suspended: Start restores";
  EXPECT_EQ(error_name([&] { client_->vm_call(vm, "Restart"); }), kInvalidState) << "suspended";
  auto bad = env().busctl("", {"call", "dev.banger.banger1", vm, "dev.banger.banger1.VM", "StartWith", "a{sv}", "1",
                               "cold", "b", "true"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("unknown option 'cold'"), std::string::npos) << bad.describe();
  EXPECT_EQ(client_->vm_string(vm, "State"), "suspended") << "a refused call changes nothing";
  start_with(vm, true);
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_FALSE(fs::exists(runtime_dir(vm) / "restored-from")) << "fresh: booted, not restored";
  EXPECT_FALSE(fs::exists(saved_dir(vm)));
  client_->vm_call(vm, "Suspend");
  client_->stop(vm);
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  EXPECT_FALSE(fs::exists(saved_dir(vm))) << "Stop discards the saved state";
  client_->vm_call(vm, "Start");
  client_->vm_call(vm, "Suspend");
  const auto saved = saved_dir(vm);
  EXPECT_TRUE(fs::exists(saved));
  client_->vm_call(vm, "Delete");
  EXPECT_FALSE(fs::exists(saved)) << "Delete takes the saved state too";
}

}  // namespace
}  // namespace banger::test
