// Firecracker through the (fake) jailer behind the whole service: the chroot
// exists while the VM runs and is gone after a stop and after bangerd's
// recovery from a VMM that died while bangerd was down.
#include <filesystem>
#include <string>
#include <thread>

#include "fake_image_test.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;

class JailerBus : public FakeImageTest {
 protected:
  fs::path jail_of(const std::string& vm) {
    return env().dir() / "j" / "fake-firecracker" / client_->vm_string(vm, "Id");
  }

  void start(const std::string& vm) {
    client_->vm_call(vm, "Start");
    ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "LastError");
  }
};

TEST_F(JailerBus, JailLivesExactlyAsLongAsTheVmm) {
  const std::string vm = client_->create_ready(*recorder_, "jailed-vm");
  start(vm);
  const std::string id = client_->vm_string(vm, "Id");
  const fs::path jail = jail_of(vm);
  EXPECT_TRUE(fs::exists(jail / "root/kernel"));
  EXPECT_TRUE(fs::exists(jail / "root/drive-rootfs"));
  EXPECT_TRUE(client_->console_says(vm, "banger: guest ready", 10s)) << "the jailed VMM's stdout is the console log";

  client_->stop(vm);
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  EXPECT_FALSE(fs::exists(jail)) << "stop removes the jail";
  EXPECT_TRUE(client_->console_says(vm, "banger: guest ready", 1s)) << "the console log outlives it";

  // The VMM dies while bangerd is down: recovery settles the VM and removes the jail.
  start(vm);
  ASSERT_TRUE(fs::exists(jail));
  env().kill_daemon();
  auto killed = env().run_as("", {"/usr/bin/pkill", "-KILL", "-f", "--", "--id " + id});
  ASSERT_TRUE(killed.ok()) << killed.describe();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (env().run_as("", {"/usr/bin/pgrep", "-f", "--", "--id " + id}).ok() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  env().start_daemon();
  auto again = std::make_unique<BusClient>(env().address());
  EXPECT_EQ(again->vm_string(vm, "State"), "stopped");
  EXPECT_FALSE(fs::exists(jail)) << "recovery removes the jail of a VMM that is gone";
  again->vm_call(vm, "Delete");
}

}  // namespace
}  // namespace banger::test
