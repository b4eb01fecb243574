// Firecracker through the (fake) jailer behind the whole service: the chroot
// exists while the VM runs and is gone after a stop and after bangerd's
// recovery from a VMM that died while bangerd was down.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
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

// Issue 8, least privilege: each jailed VMM runs as a uid of its own
// (bangerd-firecracker-jailer.toml: 910000 and 910001), the VM keeps it across
// starts, a third VM finds the range used up, and a delete frees it.
std::string real_uid_of_vmm(BusEnvironment& env, const std::string& id) {
  // The VMM's own command line ends in "--id <id>" (the jailer's does not).
  auto found = env.run_as("", {"/usr/bin/pgrep", "-f", "--", "firecracker.socket --id " + id + "$"});
  if (!found.ok()) return "no VMM: " + found.describe();
  std::ifstream status("/proc/" + std::to_string(std::stoi(found.out)) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Uid:", 0) == 0) return std::to_string(std::stoul(line.substr(4)));
  return "no Uid line for " + found.out;
}

TEST_F(JailerBus, EachVmRunsAsItsOwnUid) {
  if (geteuid() != 0) GTEST_SKIP() << "the fake jailer changes uid only as root";
  const std::string a = client_->create_ready(*recorder_, "uid-a");
  const std::string b = client_->create_ready(*recorder_, "uid-b");
  start(a);
  start(b);
  const std::string uid_a = real_uid_of_vmm(env(), client_->vm_string(a, "Id"));
  const std::string uid_b = real_uid_of_vmm(env(), client_->vm_string(b, "Id"));
  EXPECT_NE(uid_a, uid_b) << "two running VMs never share a uid";
  for (const auto& [vm, uid] : {std::pair{a, uid_a}, std::pair{b, uid_b}}) {
    EXPECT_TRUE(uid == "910000" || uid == "910001")
        << vm << " runs as " << uid << "; "
        << env().run_as("", {"/bin/sh", "-c", "ps -eo pid,uid,args | grep -e fake-[f]irecracker -e fake_[j]ailer"}).out;
    struct stat st {};
    ASSERT_EQ(stat((jail_of(vm) / "root/drive-rootfs").c_str(), &st), 0);
    EXPECT_EQ(std::to_string(st.st_uid), uid) << "the VM's writable disk in the jail is its VMM's";
    EXPECT_EQ(std::to_string(st.st_gid), uid) << "and its group the VM's own";
  }

  client_->stop(a);
  start(a);
  EXPECT_EQ(real_uid_of_vmm(env(), client_->vm_string(a, "Id")), uid_a) << "a VM keeps its uid across starts";

  // Range of two, both held (even by a stopped VM): the third VM is refused.
  client_->stop(b);
  auto third = error_of([&] { client_->create_vm("uid-c"); });
  ASSERT_TRUE(third) << "a third VM got a uid from a range of two";
  EXPECT_EQ(third->getName(), "dev.banger.banger1.Error.ResourceExhausted") << third->getMessage();

  client_->vm_call(b, "Delete");
  const std::string c = client_->create_ready(*recorder_, "uid-c");
  start(c);
  EXPECT_EQ(real_uid_of_vmm(env(), client_->vm_string(c, "Id")), uid_b) << "a delete frees the uid for the next VM";
  client_->stop(a);
  client_->stop(c);
  client_->vm_call(a, "Delete");
  client_->vm_call(c, "Delete");
}

}  // namespace
}  // namespace banger::test
