// VmManager's part in host sleep and shutdown (vm_manager_host.cpp).
#include <thread>

#include "core/vm_manager_power_control.h"
#include "error_kind.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

using testing::kind_of;

TEST_F(VmManagerTest, PauseAndResumeReachTheVmsVmmAndKeepItRunning) {
  auto vm = running();
  EXPECT_CALL(backend, pause(handles_42));
  manager.pause_vmm(vm.id, 100ms);
  EXPECT_CALL(backend, resume(handles_42));
  manager.resume_vmm(vm.id);
  EXPECT_EQ(state_of(vm.id), VmState::running);
}

TEST_F(VmManagerTest, PauseRefusesAVmThatDoesNotRun) {
  auto vm = created();
  EXPECT_CALL(backend, pause(_)).Times(0);
  EXPECT_EQ(kind_of([&] { manager.pause_vmm(vm.id, 100ms); }), ErrorKind::invalid_state);
}

TEST_F(VmManagerTest, StopWithinGivesTheGuestThatLong) {
  auto vm = running();
  EXPECT_CALL(backend, stop(handles_42, ::testing::AllOf(::testing::Le(4000ms), ::testing::Ge(3900ms))));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::stopped));
  EXPECT_EQ(manager.stop_within(vm.id, 4000ms).state, VmState::stopped);
}

TEST_F(VmManagerTest, StopWithinCountsTheWaitForTheVmsLock) {
  auto vm = running();
  std::thread holder([&] { manager.inspect(vm.id, [](const VmRecord&) { std::this_thread::sleep_for(300ms); }); });
  std::this_thread::sleep_for(50ms);
  EXPECT_CALL(backend, stop(handles_42, ::testing::Le(800ms)));
  manager.stop_within(vm.id, 1000ms);
  holder.join();
}

TEST_F(VmManagerTest, PowerControlListsOnlyRunningVms) {
  auto a = running("a");
  created("b");
  VmManagerPowerControl control(manager);
  auto vms = control.running();
  ASSERT_EQ(vms.size(), 1u);
  EXPECT_EQ(vms[0].id, a.id);
}

}  // namespace
}  // namespace banger
