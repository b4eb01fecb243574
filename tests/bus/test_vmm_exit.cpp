// VMM exits and restart safety: a VMM's end is noticed at once (pidfd, and
// its exit status while it is bangerd's child), the runtime handles file is
// what a restarted bangerd adopts from, and a VMM nobody recorded is killed.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "process.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A zombie (state Z in /proc/<pid>/stat, after the command in parentheses) or no process at all.
bool ended(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || stat.compare(paren + 1, 3, " Z ") == 0;
}

class VmmExit : public ClientTest {
 protected:
  fs::path runtime_of(const std::string& vm) { return env().dir() / "run" / "vms" / client_->vm_string(vm, "Id"); }
  // What is left of the VM's runtime dir once its run is cleaned up: only the
  // console log, kept as the post-mortem until the next start.
  std::vector<std::string> runtime_left(const std::string& vm) {
    std::vector<std::string> left;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(runtime_of(vm), ec)) left.push_back(entry.path().filename());
    return left;
  }
  // The VMM's pid as its handles file records it; 0 when there is no file.
  pid_t vmm_pid(const std::string& vm) {
    std::ifstream in(runtime_of(vm) / "handles.json");
    if (!in) return 0;
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_object() || !j.contains("handles")) return 0;
    EXPECT_EQ(j.value("backend", ""), "test");
    return j["handles"].value("pid", 0);
  }
  // The StateChanged signal (old, new, reason) of `vm` to `state`, waited for (never a fixed sleep).
  std::optional<Signal> state_signal(const std::string& vm, const std::string& state, std::chrono::milliseconds timeout) {
    return recorder_->wait_for(
        [&](const Signal& s) {
          return s.path == vm && s.member == "StateChanged" && s.args.size() == 3 && s.args[1] == state;
        },
        timeout);
  }
};

// Issue 17, finding 7: bytes a guest chose reach LastError and the StateChanged reason.
// Not UTF-8, sd-bus would refuse every GetManagedObjects (and bangerd's start-up, which
// puts the stored LastError back on the bus); they are made valid where the error is made.
TEST_F(VmmExit, AGuestsInvalidUtf8NeverBreaksTheBus) {
  const std::string vm = client_->create_ready(*recorder_, "utf8-vm");
  env().set_faults({"start_error=\xff\xfe\xc3(bad \xe2\x82 bytes"});
  error_of([&] { client_->vm_call(vm, "Start"); });  // fails now or in its operation
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "failed")) << client_->vm_string(vm, "State");
  env().set_faults({});
  auto objects_ok = [&] {
    auto connection = sdbus::createSessionBusConnectionWithAddress(env().address());
    auto manager = sdbus::createProxy(*connection, kService, kRoot);
    std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>> objects;
    manager->callMethod("GetManagedObjects").onInterface(kObjectManager).storeResultsTo(objects);
    return objects.count(sdbus::ObjectPath(vm)) == 1;
  };
  EXPECT_TRUE(objects_ok());
  const std::string last_error = client_->vm_string(vm, "LastError");
  EXPECT_NE(last_error.find("bad"), std::string::npos) << last_error;
  EXPECT_NE(last_error.find("\xEF\xBF\xBD"), std::string::npos) << "the bad bytes became U+FFFD: " << last_error;
  ASSERT_NO_THROW(env().restart_daemon());
  EXPECT_TRUE(objects_ok()) << "after a restart, from the stored record";
  EXPECT_EQ(client_->vm_string(vm, "LastError"), last_error);
}

TEST_F(VmmExit, KilledVmmMakesTheVmFailedAtOnce) {
  const std::string vm = running_vm("exit-crash");
  const pid_t pid = vmm_pid(vm);
  ASSERT_GT(pid, 0);
  const auto killed_at = Clock::now();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  auto changed = state_signal(vm, "failed", 5s);
  ASSERT_TRUE(changed) << recorder_->dump();
  EXPECT_LT(Clock::now() - killed_at, 1s) << "noticed by the pidfd, not by a poll";
  EXPECT_EQ(changed->args[2], "the VMM was killed by signal 9 (SIGKILL)");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "the VMM was killed by signal 9 (SIGKILL)");
  // Cleanup ran: the runtime dir (sockets, handles file) is gone, and no zombie is left.
  EXPECT_EQ(runtime_left(vm), std::vector<std::string>{"console.log"});
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  EXPECT_FALSE(stat.good()) << "the VMM's zombie was reaped";
  // A failed VM starts again.
  client_->vm_call(vm, "Start");
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");
  client_->vm_call(vm, "Kill");
  client_->vm_call(vm, "Delete");
}

TEST_F(VmmExit, GuestShutdownMakesTheVmStopped) {
  const std::string vm = running_vm("exit-clean");
  std::ofstream(runtime_of(vm) / "guest-poweroff") << "";  // the placeholder VMM exits 0
  auto changed = state_signal(vm, "stopped", 5s);
  ASSERT_TRUE(changed) << recorder_->dump();
  EXPECT_EQ(changed->args[2], "the guest shut down");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");
  EXPECT_EQ(runtime_left(vm), std::vector<std::string>{"console.log"});
  client_->vm_call(vm, "Delete");
}

TEST_F(VmmExit, OwnStopIsNotReportedAsACrash) {
  const std::string vm = running_vm("exit-own-stop");
  client_->stop(vm);  // SIGTERM to the VMM: a crash, were it not banger's own doing
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped"));
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");
  EXPECT_TRUE(recorder_->matching([&](const Signal& s) { return s.state_changed_to(vm, "failed"); }).empty());
  client_->vm_call(vm, "Delete");
}

TEST_F(VmmExit, SigkilledDaemonAdoptsTheSamePidAndStillWatchesIt) {
  const std::string vm = running_vm("exit-adopt");
  const pid_t pid = vmm_pid(vm);
  ASSERT_GT(pid, 0);
  env().kill_daemon();
  ASSERT_NO_THROW(env().start_daemon());
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_EQ(vmm_pid(vm), pid) << "adopted, not relaunched";
  EXPECT_EQ(kill(pid, 0), 0);
  // Not bangerd's child any more: how it ended is unknown, so "stopped".
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  auto changed = state_signal(vm, "stopped", 5s);
  ASSERT_TRUE(changed) << recorder_->dump();
  EXPECT_EQ(changed->args[2], "the VMM exited");
  EXPECT_EQ(runtime_left(vm), std::vector<std::string>{"console.log"});
  client_->vm_call(vm, "Delete");
}

TEST_F(VmmExit, VmmThatDiedWhileTheDaemonWasDownIsSettledAndCleaned) {
  const std::string vm = running_vm("exit-while-down");
  const pid_t pid = vmm_pid(vm);
  ASSERT_GT(pid, 0);
  env().kill_daemon();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  // kill() returns before the kernel has ended the process: the VMM has died
  // only once it is a zombie or gone, and only then is bangerd started again.
  const auto deadline = Clock::now() + 5s;
  while (!ended(pid) && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(ended(pid)) << "the VMM outlived SIGKILL";
  ASSERT_NO_THROW(env().start_daemon());
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "the VMM exited while bangerd was not running");
  EXPECT_EQ(runtime_left(vm), std::vector<std::string>{"console.log"});
  client_->vm_call(vm, "Delete");
}

TEST_F(VmmExit, UnrecordedVmmOfACrashedStartIsKilledAtRestart) {
  const std::string vm = client_->create_ready(*recorder_, "exit-orphan");
  const fs::path runtime = runtime_of(vm);
  env().set_faults({"crash-after-launch"});
  EXPECT_TRUE(error_of([&] { client_->vm_call(vm, "Start"); })) << "bangerd died during Start";
  env().set_faults({});
  env().kill_daemon();  // reap it
  ASSERT_FALSE(processes_mentioning(runtime.string()).empty()) << "the launched VMM outlived bangerd";
  EXPECT_FALSE(fs::exists(runtime / "handles.json"));
  ASSERT_NO_THROW(env().start_daemon());
  EXPECT_EQ(client_->vm_string(vm, "State"), "failed");
  const auto deadline = Clock::now() + 5s;
  while (!processes_mentioning(runtime.string()).empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);  // SIGKILL is sent; wait for the kernel to finish the process
  }
  EXPECT_TRUE(processes_mentioning(runtime.string()).empty());
  client_->vm_call(vm, "Delete");
}

TEST_F(VmmExit, BackendIsAPropertyAndAnUnknownOrMissingOneIsInvalidArgs) {
  const std::string vm = client_->create_ready(*recorder_, "exit-backend", {{"backend", sdbus::Variant("test")}});
  EXPECT_EQ(client_->vm_string(vm, "Backend"), "test");
  auto unknown = error_of([&] { client_->create_vm("exit-bochs", {{"backend", sdbus::Variant("bochs")}}); });
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->getName(), "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_NE(unknown->getMessage().find("unknown VMM backend 'bochs'"), std::string::npos) << unknown->getMessage();
  // No Firecracker is installed here, and this daemon's config names none.
  auto missing = error_of([&] { client_->create_vm("exit-fc", {{"backend", sdbus::Variant("firecracker")}}); });
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->getName(), "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_NE(missing->getMessage().find("is not available"), std::string::npos) << missing->getMessage();
  EXPECT_TRUE(error_of([&] { client_->create_vm("exit-num", {{"backend", sdbus::Variant(3u)}}); }));
  client_->vm_call(vm, "Delete");
}

}  // namespace
}  // namespace banger::test
