// (e) Daemon restarts: the test backend's VMM placeholder runs in its own
// session, so it outlives bangerd; the next bangerd adopts it from its runtime handles file.
#include <string>

#include "test_support.h"

namespace banger::test {
namespace {

class Restart : public ClientTest {
 protected:
  // The adopted VM still works: it stops, starts again and can be deleted.
  void expect_usable(const std::string& vm) {
    client_->stop(vm);
    ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped")) << client_->vm_string(vm, "State");
    client_->vm_call(vm, "Start");
    ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "State");
    client_->vm_call(vm, "Kill");
    ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped")) << client_->vm_string(vm, "State");
    client_->vm_call(vm, "Delete");
  }
};

TEST_F(Restart, SigtermRestartKeepsVmsAndPaths) {
  const std::string running = running_vm("persist-run");
  const std::string idle = client_->create_ready(*recorder_, "persist-idle");
  const auto created_at = client_->vm_number(running, "CreatedAt");
  const pid_t old_pid = env().daemon_pid();

  ASSERT_NO_THROW(env().restart_daemon());
  EXPECT_NE(env().daemon_pid(), old_pid);

  EXPECT_EQ(client_->get_vm("persist-run"), running) << "same object path after the restart";
  EXPECT_EQ(client_->get_vm("persist-idle"), idle);
  EXPECT_EQ(client_->vm_string(running, "State"), "running");
  EXPECT_EQ(client_->vm_string(idle, "State"), "created");
  EXPECT_EQ(client_->vm_number(running, "CreatedAt"), created_at);
  EXPECT_EQ(client_->vm_string(running, "LastError"), "");

  expect_usable(running);
  client_->vm_call(idle, "Delete");
}

TEST_F(Restart, SigkilledDaemonAdoptsTheRunningVm) {
  const std::string vm = running_vm("adopt-run");
  const std::string id = client_->vm_string(vm, "Id");

  env().kill_daemon();
  // Nobody answers for dev.banger.banger1 meanwhile: bangerctl says unreachable.
  auto unreachable = env().run_as("", {env().bangerctl(), "list"});
  EXPECT_EQ(unreachable.exit_code, 5) << unreachable.describe();

  ASSERT_NO_THROW(env().start_daemon());
  EXPECT_EQ(client_->get_vm(id), vm);
  EXPECT_EQ(client_->vm_string(vm, "State"), "running") << "the surviving VMM is adopted";
  EXPECT_EQ(client_->vm_string(vm, "Name"), "adopt-run");
  expect_usable(vm);
}

TEST_F(Restart, RestartWhileStoppedAndAfterAFailedStart) {
  const std::string vm = running_vm("persist-stop");
  client_->stop(vm);
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped"));
  const std::string broken = client_->create_ready(*recorder_, "persist-broken");
  env().set_faults({"start"});
  EXPECT_TRUE(error_of([&] { client_->vm_call(broken, "Start"); }));
  const std::string broken_state = client_->vm_string(broken, "State");
  const std::string last_error = client_->vm_string(broken, "LastError");
  env().set_faults({});

  ASSERT_NO_THROW(env().restart_daemon());
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  EXPECT_EQ(client_->vm_string(broken, "State"), broken_state);
  EXPECT_EQ(client_->vm_string(broken, "LastError"), last_error);
  client_->vm_call(vm, "Delete");
  client_->vm_call(broken, "Delete");
}

}  // namespace
}  // namespace banger::test
