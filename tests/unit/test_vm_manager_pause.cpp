// VM.Pause and VM.Resume in the VmManager (vm_manager_pause.cpp), and what the
// other verbs and recovery do with a paused VM.
#include "core/errors.h"
#include "error_kind.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

using ::testing::InSequence;
using ::testing::Throw;
using testing::kind_of;

TEST_F(VmManagerTest, PauseAndResumeReachTheVmmLetGoOfTheGuestAndCommitTheState) {
  auto vm = running();
  {
    InSequence order;
    EXPECT_CALL(*cap, before_pause(_));
    EXPECT_CALL(backend, pause(handles_42));
  }
  EXPECT_CALL(*cap, cleanup(_, _)).Times(0);  // the tap, lease and forwards stay
  EXPECT_EQ(manager.pause(vm.id).state, VmState::paused);
  EXPECT_EQ(state_of(vm.id), VmState::paused) << "stored: the store takes the state 'paused'";
  EXPECT_EQ(handles_on_disk(vm.id), handles_42);
  EXPECT_EQ(watch.watched().count(vm.id), 1u);
  {
    InSequence order;
    EXPECT_CALL(backend, resume(handles_42));
    EXPECT_CALL(*cap, after_resume(_));
  }
  EXPECT_EQ(manager.resume(vm.id).state, VmState::running);
  auto states = events.states(vm.id);
  EXPECT_EQ(std::vector<std::string>(states.end() - 2, states.end()), (std::vector<std::string>{"paused", "running"}));
}

TEST_F(VmManagerTest, PauseOnlyFromRunningResumeOnlyFromPaused) {
  auto vm = created();
  EXPECT_CALL(backend, pause(_)).Times(0);
  EXPECT_CALL(backend, resume(_)).Times(0);
  EXPECT_EQ(kind_of([&] { manager.pause(vm.id); }), ErrorKind::invalid_state);
  EXPECT_EQ(kind_of([&] { manager.resume(vm.id); }), ErrorKind::invalid_state);
  manager.start(vm.id);
  EXPECT_EQ(kind_of([&] { manager.resume(vm.id); }), ErrorKind::invalid_state);
  ::testing::Mock::VerifyAndClearExpectations(&backend);
  manager.pause(vm.id);
  EXPECT_EQ(kind_of([&] { manager.pause(vm.id); }), ErrorKind::invalid_state);
}

TEST_F(VmManagerTest, AFailedPauseLeavesTheVmRunningAndTakesTheGuestUpAgain) {
  auto vm = running();
  EXPECT_CALL(backend, pause(_)).WillOnce(Throw(Error(ErrorKind::backend_failed, "no answer")));
  EXPECT_CALL(*cap, after_resume(_));
  EXPECT_EQ(kind_of([&] { manager.pause(vm.id); }), ErrorKind::backend_failed);
  EXPECT_EQ(state_of(vm.id), VmState::running);
}

TEST_F(VmManagerTest, AGracefulStopOfAPausedVmResumesItFirst) {
  auto vm = running();
  manager.pause(vm.id);
  {
    InSequence order;
    EXPECT_CALL(backend, resume(handles_42));
    EXPECT_CALL(backend, stop(handles_42, _));
  }
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::stopped));
  EXPECT_EQ(manager.stop(vm.id, false).state, VmState::stopped);
  auto states = events.states(vm.id);
  EXPECT_EQ(std::vector<std::string>(states.end() - 3, states.end()),
            (std::vector<std::string>{"paused", "stopping", "stopped"}));
}

TEST_F(VmManagerTest, KillAndForceStopOfAPausedVmDoNotResumeIt) {
  auto killed = running("killed");
  auto forced = running("forced");
  manager.pause(killed.id);
  manager.pause(forced.id);
  EXPECT_CALL(backend, resume(_)).Times(0);
  EXPECT_CALL(backend, kill(_)).Times(2);
  EXPECT_EQ(manager.kill(killed.id).state, VmState::stopped);
  EXPECT_EQ(manager.stop(forced.id, true).state, VmState::stopped);
}

TEST_F(VmManagerTest, APausedVmIsNotDeletedClonedOrResizedButRenamedAndRestarted) {
  auto vm = running();
  manager.pause(vm.id);
  EXPECT_EQ(kind_of([&] { manager.remove(vm.id); }), ErrorKind::invalid_state);
  EXPECT_EQ(kind_of([&] { manager.begin_clone(vm.id, "copy", 1000); }), ErrorKind::invalid_state);
  VmChanges bigger;
  bigger.memory_mib = 1024;
  EXPECT_EQ(kind_of([&] { manager.set(vm.id, bigger); }), ErrorKind::invalid_state);
  VmChanges renamed;
  renamed.name = "web2";
  EXPECT_EQ(manager.set(vm.id, renamed).state, VmState::paused);
  EXPECT_CALL(backend, resume(handles_42));
  EXPECT_EQ(manager.restart(vm.id).state, VmState::running);
}

TEST_F(VmManagerTest, AVmmEndingWhileItsVmIsPausedSettlesTheVm) {
  auto vm = running();
  manager.pause(vm.id);
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::stopped));
  manager.vmm_exited(vm.id, {42, 420}, {VmmExit::How::signalled, 9});
  EXPECT_EQ(state_of(vm.id), VmState::failed);
}

struct PausedRecoverTest : VmManagerTest {
  testing::RecordingWatch new_watch;
  HandlesFiles new_handles{runtime};
  VmManager restarted{{store, backends, caps, events, new_handles, &new_watch}, {200ms, 1500ms, runtime}};
};

TEST_F(PausedRecoverTest, AdoptsAPausedVmmAndKeepsTheVmPaused) {
  auto vm = running();
  manager.pause(vm.id);
  ON_CALL(backend, adopt(handles_42)).WillByDefault(Return(true));
  ON_CALL(backend, status(handles_42)).WillByDefault(Return(VmmStatus::paused));
  EXPECT_CALL(*cap, cleanup(_, _)).Times(0);
  EXPECT_CALL(backend, kill(_)).Times(0);
  restarted.recover();
  EXPECT_EQ(state_of(vm.id), VmState::paused);
  EXPECT_EQ(new_watch.watched().count(vm.id), 1u);
  EXPECT_CALL(backend, resume(handles_42));
  EXPECT_EQ(restarted.resume(vm.id).state, VmState::running);
}

TEST_F(PausedRecoverTest, APausedVmWhoseVmmRunsAfterAllIsRunning) {
  auto vm = running();
  manager.pause(vm.id);
  ON_CALL(backend, adopt(handles_42)).WillByDefault(Return(true));
  ON_CALL(backend, status(handles_42)).WillByDefault(Return(VmmStatus::running));
  restarted.recover();
  EXPECT_EQ(state_of(vm.id), VmState::running);
}

TEST_F(PausedRecoverTest, APausedVmWhoseVmmIsGoneIsStopped) {
  auto vm = running();
  manager.pause(vm.id);
  ON_CALL(backend, adopt(_)).WillByDefault(Return(false));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::stopped));
  restarted.recover();
  EXPECT_EQ(state_of(vm.id), VmState::stopped);
}

}  // namespace
}  // namespace banger
