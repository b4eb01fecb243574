// VM.Suspend and the restore of a suspended VM in the VmManager
// (vm_manager_suspend.cpp, vm_manager_start.cpp), what the other verbs do with
// a suspended VM, and how recovery settles saved states (core/saved_states.h).
#include <fstream>

#include "core/errors.h"
#include "core/saved_states.h"
#include "error_kind.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

namespace fs = std::filesystem;
using ::testing::AnyNumber;
using ::testing::InSequence;
using ::testing::Invoke;
using ::testing::Throw;
using testing::kind_of;

struct SuspendTest : VmManagerTest {
  SuspendTest() {
    ON_CALL(backend, saved_state_format(_)).WillByDefault(Return("vmm 1.0, tcg"));
    ON_CALL(backend, save_state(_, _)).WillByDefault(Invoke([](const std::string&, const fs::path& dir) {
      std::ofstream(dir / "memory") << "state";
      return std::uint64_t{5};
    }));
  }
  fs::path saved_dir(const std::string& id) { return runtime / "saved-states" / id; }
  std::string last_reason(const std::string& id) {
    std::string reason;
    for (const auto& e : events.events())
      if (e.vm.id == id && e.kind == "changed") reason = e.reason;
    return reason;
  }
  bool has_saved_state(const std::string& id) { return fs::exists(saved_dir(id) / "manifest"); }
  VmRecord suspended(const std::string& name = "web") {
    auto vm = running(name);
    manager.suspend(vm.id);
    return vm;
  }
};

TEST_F(SuspendTest, SuspendPausesSavesEndsTheVmmAndKeepsWhatTheGuestBelievesIn) {
  auto vm = running();
  {
    InSequence order;
    EXPECT_CALL(*cap, before_pause(_));
    EXPECT_CALL(backend, pause(handles_42));
    EXPECT_CALL(backend, save_state(handles_42, saved_dir(vm.id) / "vmm"));
    EXPECT_CALL(backend, kill(handles_42));
    EXPECT_CALL(*cap, cleanup(_, CleanupReason::suspended));
  }
  EXPECT_EQ(manager.suspend(vm.id).state, VmState::suspended);
  EXPECT_EQ(state_of(vm.id), VmState::suspended) << "stored: the store takes the state 'suspended'";
  EXPECT_EQ(handles_on_disk(vm.id), "") << "no VMM";
  EXPECT_EQ(watch.watched().count(vm.id), 0u);
  auto manifest = SavedStates(runtime / "saved-states").find(vm.id);
  ASSERT_TRUE(manifest);
  EXPECT_EQ(manifest->format, "vmm 1.0, tcg");
  EXPECT_EQ(manifest->bytes, 5u);
  EXPECT_EQ(manifest->memory_mib, vm.memory_mib);
  EXPECT_EQ(fs::status(saved_dir(vm.id)).permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(SuspendTest, APausedVmIsSavedWithoutPausingItAgain) {
  auto vm = running();
  manager.pause(vm.id);
  EXPECT_CALL(backend, pause(_)).Times(0);
  EXPECT_CALL(*cap, before_pause(_)).Times(0);
  EXPECT_EQ(manager.suspend(vm.id).state, VmState::suspended);
}

TEST_F(SuspendTest, StartRestoresAndDropsTheStateBeforeTheGuestRunsItsFirstInstruction) {
  auto vm = suspended();
  const auto files = saved_dir(vm.id) / "vmm";
  {
    InSequence order;
    EXPECT_CALL(backend, launch(::testing::Field(&MachineConfig::restore_from, files))).WillOnce(Return(handles_42));
    EXPECT_CALL(backend, configure(handles_42, ::testing::Field(&MachineConfig::restore_from, files)));
    EXPECT_CALL(backend, start(handles_42)).WillOnce(Invoke([&](const std::string&) {
      EXPECT_FALSE(has_saved_state(vm.id)) << "the guest's disks move on from here: the state must be gone";
    }));
  }
  auto after = manager.start(vm.id);
  EXPECT_EQ(after.state, VmState::running);
  EXPECT_EQ(after.last_error, "");
  EXPECT_FALSE(fs::exists(saved_dir(vm.id)));
  EXPECT_EQ(last_reason(vm.id), "restored from its saved state");
}

TEST_F(SuspendTest, ABackendThatCannotSaveAnswersNotSupportedAndTouchesNothing) {
  auto vm = running();
  ON_CALL(backend, saved_state_format(_)).WillByDefault(Return(""));
  EXPECT_CALL(backend, pause(_)).Times(0);
  EXPECT_EQ(kind_of([&] { manager.suspend(vm.id); }), ErrorKind::not_supported);
  EXPECT_EQ(state_of(vm.id), VmState::running);
  EXPECT_FALSE(fs::exists(saved_dir(vm.id)));
}

TEST_F(SuspendTest, AFailedSaveLeavesTheVmRunningWithNothingSaved) {
  auto vm = running();
  EXPECT_CALL(backend, save_state(_, _)).WillOnce(Throw(Error(ErrorKind::backend_failed, "disk full")));
  EXPECT_CALL(backend, kill(_)).Times(0);
  EXPECT_CALL(backend, resume(handles_42));
  EXPECT_CALL(*cap, after_resume(_));
  EXPECT_EQ(kind_of([&] { manager.suspend(vm.id); }), ErrorKind::backend_failed);
  EXPECT_EQ(state_of(vm.id), VmState::running);
  EXPECT_FALSE(fs::exists(saved_dir(vm.id)));
}

TEST_F(SuspendTest, SuspendOnlyFromRunningOrPaused) {
  auto vm = created();
  EXPECT_EQ(kind_of([&] { manager.suspend(vm.id); }), ErrorKind::invalid_state);
  auto s = suspended("other");
  EXPECT_EQ(kind_of([&] { manager.suspend(s.id); }), ErrorKind::invalid_state);
  EXPECT_EQ(kind_of([&] { manager.pause(s.id); }), ErrorKind::invalid_state);
  EXPECT_EQ(kind_of([&] { manager.resume(s.id); }), ErrorKind::invalid_state);
  EXPECT_EQ(kind_of([&] { manager.restart(s.id); }), ErrorKind::invalid_state);
}

TEST_F(SuspendTest, FreshStartBootsAfreshAndDropsTheState) {
  auto vm = suspended();
  EXPECT_CALL(backend, launch(::testing::Field(&MachineConfig::restore_from, fs::path()))).WillOnce(Return(handles_42));
  StartOptions fresh;
  fresh.fresh = true;
  EXPECT_EQ(manager.start(vm.id, fresh).state, VmState::running);
  EXPECT_FALSE(fs::exists(saved_dir(vm.id)));
}

TEST_F(SuspendTest, AStateOfAnotherVmmIsDroppedAndTheVmBootsAfreshSayingWhy) {
  auto vm = suspended();
  ON_CALL(backend, saved_state_format(_)).WillByDefault(Return("vmm 2.0, tcg"));
  EXPECT_CALL(backend, launch(::testing::Field(&MachineConfig::restore_from, fs::path()))).WillOnce(Return(handles_42));
  auto after = manager.start(vm.id);
  EXPECT_EQ(after.state, VmState::running);
  EXPECT_NE(after.last_error.find("saved state was dropped"), std::string::npos) << after.last_error;
  EXPECT_NE(after.last_error.find("vmm 2.0"), std::string::npos) << after.last_error;
  EXPECT_FALSE(fs::exists(saved_dir(vm.id)));
}

TEST_F(SuspendTest, AStateThatFailsToLoadIsDroppedAndTheStartFails) {
  auto vm = suspended();
  EXPECT_CALL(backend, configure(_, _)).WillOnce(Throw(SavedStateRefused("could not load the saved state: bad")));
  EXPECT_CALL(backend, start(_)).Times(0);
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::start_failed));
  EXPECT_EQ(kind_of([&] { manager.start(vm.id); }), ErrorKind::backend_failed);
  auto stored = store.find_vm(vm.id).value();
  EXPECT_EQ(stored.state, VmState::failed);
  EXPECT_NE(stored.last_error.find("the next Start boots the VM afresh"), std::string::npos) << stored.last_error;
  EXPECT_FALSE(fs::exists(saved_dir(vm.id)));
}

TEST_F(SuspendTest, AFailureBeforeTheLoadLeavesTheVmSuspendedWithItsState) {
  auto vm = suspended();
  EXPECT_CALL(backend, launch(_))
      .WillOnce(Throw(Error(ErrorKind::backend_failed, "no binary")))
      .WillRepeatedly(Return(handles_42));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::suspended));
  EXPECT_EQ(kind_of([&] { manager.start(vm.id); }), ErrorKind::backend_failed);
  EXPECT_EQ(state_of(vm.id), VmState::suspended);
  EXPECT_TRUE(has_saved_state(vm.id));
  EXPECT_EQ(manager.start(vm.id).state, VmState::running) << "and a later Start restores it";
}

TEST_F(SuspendTest, AVmmThatFailsBeforeItIsGivenTheStateLeavesItSaved) {
  auto vm = suspended();
  EXPECT_CALL(backend, configure(_, _))
      .WillOnce(Throw(Error(ErrorKind::backend_failed, "the VMM exited: a drive is missing")))
      .WillRepeatedly(Return());
  EXPECT_CALL(backend, kill(handles_42));
  EXPECT_EQ(kind_of([&] { manager.start(vm.id); }), ErrorKind::backend_failed);
  EXPECT_EQ(state_of(vm.id), VmState::suspended);
  EXPECT_TRUE(has_saved_state(vm.id)) << "not the state's fault: kept for the next Start";
}

TEST_F(SuspendTest, StopKillAndDeleteOfASuspendedVmDiscardItsState) {
  auto stopped = suspended("stopped");
  auto killed = suspended("killed");
  auto removed = suspended("removed");
  EXPECT_CALL(backend, stop(_, _)).Times(0);  // no VMM to stop
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::stopped)).Times(2);
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::deleted));
  auto after = manager.stop(stopped.id, false);
  EXPECT_EQ(after.state, VmState::stopped);
  EXPECT_EQ(last_reason(stopped.id), "stopped; its saved state was discarded");
  EXPECT_EQ(manager.kill(killed.id).state, VmState::stopped);
  manager.remove(removed.id);
  for (const auto& vm : {stopped, killed, removed}) EXPECT_FALSE(fs::exists(saved_dir(vm.id))) << vm.name;
}

TEST_F(SuspendTest, ASuspendedVmIsNotResizedOrClonedButRenamed) {
  auto vm = suspended();
  VmChanges bigger;
  bigger.memory_mib = 1024;
  auto why = testing::error_message_of(ErrorKind::invalid_state, [&] { manager.set(vm.id, bigger); });
  EXPECT_NE(why.find("saved state"), std::string::npos) << why;
  EXPECT_EQ(kind_of([&] { manager.begin_clone(vm.id, "copy", 1000); }), ErrorKind::invalid_state);
  VmChanges renamed;
  renamed.name = "web2";
  EXPECT_EQ(manager.set(vm.id, renamed).state, VmState::suspended);
}

struct SuspendRecoverTest : SuspendTest {
  testing::RecordingWatch new_watch;
  HandlesFiles new_handles{runtime};
  VmManager restarted{{store, backends, caps, events, new_handles, &new_watch}, {200ms, 1500ms, runtime}};
  SavedStates states{runtime / "saved-states"};
  // A committed state for `vm`, as a suspend that bangerd did not live to note leaves.
  void commit_state_of(const VmRecord& vm) {
    auto dir = states.begin(vm.id);
    std::ofstream(dir / "memory") << "state";
    states.commit(vm.id, {vm.backend, "vmm 1.0, tcg", vm.vcpus, vm.memory_mib, vm.image, 5, 1});
  }
};

TEST_F(SuspendRecoverTest, ASuspendedVmStaysSuspendedAcrossARestart) {
  auto vm = suspended();
  EXPECT_CALL(*cap, cleanup(_, _)).Times(0);
  restarted.recover();
  EXPECT_EQ(state_of(vm.id), VmState::suspended);
  EXPECT_TRUE(has_saved_state(vm.id));
  EXPECT_EQ(restarted.start(vm.id).state, VmState::running);
}

TEST_F(SuspendRecoverTest, ASuspendedVmWhoseStateIsGoneIsStoppedSayingSo) {
  auto vm = suspended();
  fs::remove_all(saved_dir(vm.id));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::stopped));
  restarted.recover();
  auto stored = store.find_vm(vm.id).value();
  EXPECT_EQ(stored.state, VmState::stopped);
  EXPECT_NE(stored.last_error.find("saved state is gone"), std::string::npos) << stored.last_error;
}

// A suspend whose VMM would not end keeps its handles (Start ends it first); if the
// state is gone by the next start of bangerd, that VMM goes too and the VM is stopped.
TEST_F(SuspendRecoverTest, AVmmASuspendCouldNotEndIsKeptWithItsStateAndEndedWithout) {
  auto kept = running("kept");
  auto lost = running("lost");
  EXPECT_CALL(backend, kill(handles_42))
      .WillOnce(Throw(Error(ErrorKind::backend_failed, "no answer")))
      .WillOnce(Throw(Error(ErrorKind::backend_failed, "no answer")))
      .WillRepeatedly(Return());
  manager.suspend(kept.id);
  manager.suspend(lost.id);
  EXPECT_EQ(state_of(kept.id), VmState::suspended);
  EXPECT_EQ(handles_on_disk(kept.id), handles_42) << "the VMM is not forgotten";
  fs::remove_all(saved_dir(lost.id));
  ON_CALL(backend, adopt(handles_42)).WillByDefault(Return(true));
  restarted.recover();
  EXPECT_EQ(state_of(kept.id), VmState::suspended);
  EXPECT_EQ(handles_on_disk(kept.id), handles_42);
  EXPECT_EQ(state_of(lost.id), VmState::stopped);
  EXPECT_EQ(handles_on_disk(lost.id), "") << "ended with its state gone";
}

TEST_F(SuspendRecoverTest, ARunningVmWithACommittedStateIsSuspendedAndItsVmmEnded) {
  auto vm = running();
  commit_state_of(vm);  // bangerd died after the manifest, before it noted the suspend
  ON_CALL(backend, adopt(handles_42)).WillByDefault(Return(true));
  EXPECT_CALL(backend, kill(handles_42));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::suspended));
  restarted.recover();
  EXPECT_EQ(state_of(vm.id), VmState::suspended);
  EXPECT_EQ(new_watch.watched().count(vm.id), 0u);
  EXPECT_TRUE(has_saved_state(vm.id));
}

TEST_F(SuspendRecoverTest, ARestoreCutOffBeforeTheGuestRanGoesBackToSuspended) {
  auto vm = suspended();
  auto stored = store.find_vm(vm.id).value();
  stored.state = VmState::starting;  // bangerd died while the VMM loaded the state
  store.update_vm(stored);
  ON_CALL(backend, adopt(_)).WillByDefault(Return(false));
  restarted.recover();
  EXPECT_EQ(state_of(vm.id), VmState::suspended);
  EXPECT_TRUE(has_saved_state(vm.id));
}

TEST_F(SuspendRecoverTest, StatesOfVmsThatAreNotSuspendedOrGoneAreDropped) {
  auto stopped = created("stopped");
  commit_state_of(stopped);
  const auto half = states.begin("deadbeef");  // an unfinished save of a VM that is gone
  restarted.recover();
  EXPECT_FALSE(fs::exists(saved_dir(stopped.id)));
  EXPECT_FALSE(fs::exists(half.parent_path()));
  EXPECT_EQ(state_of(stopped.id), VmState::created);
}

TEST_F(SuspendRecoverTest, ARunningVmLeftPausedByACutOffSuspendRunsOn) {
  auto vm = running();
  ON_CALL(backend, adopt(handles_42)).WillByDefault(Return(true));
  ON_CALL(backend, status(handles_42)).WillByDefault(Return(VmmStatus::paused));
  EXPECT_CALL(backend, resume(handles_42));
  EXPECT_CALL(*cap, after_resume(_));
  restarted.recover();
  EXPECT_EQ(state_of(vm.id), VmState::running);
}

TEST(SavedStates, AManifestNamesWhyAStateCannotLoad) {
  SavedStateManifest saved{"qemu", "qemu 7.2.0 tcg", 2, 256, "img", 10, 1};
  auto now = saved;
  now.bytes = 99;
  now.saved_at_us = 2;
  EXPECT_EQ(why_not_loadable(saved, now), "");
  now.format = "qemu 8.0.0 tcg";
  EXPECT_NE(why_not_loadable(saved, now).find("qemu 8.0.0"), std::string::npos);
  now = saved;
  now.memory_mib = 512;
  EXPECT_NE(why_not_loadable(saved, now).find("512"), std::string::npos);
  now = saved;
  now.image = "other";
  EXPECT_NE(why_not_loadable(saved, now).find("image"), std::string::npos);
}

TEST(SavedStates, AStateWithoutItsManifestOrOfABadIdIsNone) {
  auto dir = temp_dir();
  SavedStates states(dir);
  states.begin("vm1");
  EXPECT_FALSE(states.find("vm1")) << "a save that did not finish";
  states.commit("vm1", {"qemu", "f\nextra=1", 1, 256, "img", 1, 1});
  auto found = states.find("vm1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->format, "f") << "a newline cannot add a line";
  EXPECT_FALSE(states.find("../vm1"));
  EXPECT_THROW(states.begin("../x"), Error);
  states.drop("vm1");
  EXPECT_FALSE(fs::exists(dir / "vm1"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace banger
