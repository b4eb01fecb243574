// Named checkpoints in the VmManager (vm_manager_snapshot.cpp): taking one of a
// running, paused or stopped VM, restoring it, deleting it, what a VM's delete
// and the owner's disk quota do with them, and how recovery settles them.
#include <fstream>
#include <future>

#include "core/errors.h"
#include "core/saved_states.h"
#include "error_kind.h"
#include "vm_manager_snapshot_fixture.h"

namespace banger {
namespace {

using ::testing::InSequence;
using ::testing::Throw;
using testing::kind_of;

TEST_F(SnapshotTest, ACheckpointOfAStoppedVmHoldsItsDisksOnly) {
  auto vm = created();
  EXPECT_CALL(backend, save_state(_, _)).Times(0);
  EXPECT_CALL(backend, pause(_)).Times(0);
  EXPECT_CALL(*cap, save_disks(::testing::Field(&VmRecord::id, vm.id), _));
  auto s = take(vm, "clean");
  EXPECT_FALSE(s.has_memory);
  EXPECT_EQ(s.parent, "");
  EXPECT_EQ(s.name, "clean");
  EXPECT_EQ(s.size_bytes, std::string("disk of web").size());
  EXPECT_EQ(store.find_snapshot(s.id), s);
  EXPECT_TRUE(fs::exists(snapshot_dir(vm, s) / "disks" / "rootfs.ext4"));
  EXPECT_FALSE(fs::exists(snapshot_dir(vm, s) / "manifest"));
  EXPECT_EQ(fs::status(snapshot_dir(vm, s)).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(snapshot_events.events(), std::vector<std::string>{"added clean"});
  EXPECT_EQ(state_of(vm.id), VmState::created);
}

TEST_F(SnapshotTest, ACheckpointOfARunningVmPausesSavesCopiesTheDisksAndRunsOn) {
  auto vm = running();
  const auto planned = manager.plan_snapshot(vm.id, "warm");
  const auto dir = runtime / "snapshots" / vm.id / planned.id;
  {
    InSequence order;
    EXPECT_CALL(*cap, before_pause(_));
    EXPECT_CALL(backend, pause(handles_42));
    EXPECT_CALL(backend, save_state(handles_42, dir / "vmm"));
    EXPECT_CALL(*cap, save_disks(_, dir / "disks"));
    EXPECT_CALL(backend, resume(handles_42));
    EXPECT_CALL(*cap, after_resume(_));
  }
  EXPECT_CALL(backend, kill(_)).Times(0);
  auto s = manager.take_snapshot(planned, progress);
  EXPECT_TRUE(s.has_memory);
  EXPECT_EQ(state_of(vm.id), VmState::running);
  EXPECT_EQ(handles_on_disk(vm.id), handles_42) << "the same VMM goes on";
  auto manifest = SavedStates(runtime / "snapshots" / vm.id).find(s.id);
  ASSERT_TRUE(manifest) << "the memory part has its manifest";
  EXPECT_EQ(manifest->format, "vmm 1.0, tcg");
  EXPECT_EQ(manifest->memory_mib, vm.memory_mib);
  EXPECT_EQ(s.size_bytes, 5u + std::string("disk of web").size() + fs::file_size(snapshot_dir(vm, s) / "manifest"));
  EXPECT_FALSE(fs::exists(saved_dir(vm.id))) << "not a suspend";
}

TEST_F(SnapshotTest, APausedVmIsSavedWithoutPausingAndStaysPaused) {
  auto vm = running();
  manager.pause(vm.id);
  EXPECT_CALL(backend, pause(_)).Times(0);
  EXPECT_CALL(backend, resume(_)).Times(0);
  EXPECT_TRUE(take(vm, "held").has_memory);
  EXPECT_EQ(state_of(vm.id), VmState::paused);
}

TEST_F(SnapshotTest, NamesAreCheckedAndUniquePerVm) {
  auto web = created("web");
  auto db = created("db");
  EXPECT_EQ(kind_of([&] { manager.plan_snapshot(web.id, ""); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { manager.plan_snapshot(web.id, "Bad Name"); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { manager.plan_snapshot(web.id, "../x"); }), ErrorKind::invalid_args);
  take(web, "one");
  EXPECT_EQ(kind_of([&] { manager.plan_snapshot(web.id, "one"); }), ErrorKind::exists);
  EXPECT_NO_THROW(take(db, "one")) << "another VM's checkpoint may share the name";
  EXPECT_EQ(kind_of([&] { manager.plan_snapshot("nope", "one"); }), ErrorKind::no_such_vm);
}

TEST_F(SnapshotTest, APlanIsCheckedAgainWhenTaken) {
  auto vm = created();
  auto first = manager.plan_snapshot(vm.id, "same");
  auto second = manager.plan_snapshot(vm.id, "same");
  manager.take_snapshot(first, progress);
  EXPECT_EQ(kind_of([&] { manager.take_snapshot(second, progress); }), ErrorKind::exists);
  EXPECT_FALSE(fs::exists(runtime / "snapshots" / vm.id / second.id)) << "nothing left of the refused one";
}

TEST_F(SnapshotTest, AFailedSaveLeavesNothingAndTheVmRunsOn) {
  auto vm = running();
  EXPECT_CALL(backend, save_state(_, _)).WillOnce(Throw(Error(ErrorKind::resource_exhausted, "disk full")));
  EXPECT_CALL(backend, resume(handles_42));
  EXPECT_EQ(kind_of([&] { take(vm, "full"); }), ErrorKind::resource_exhausted);
  EXPECT_EQ(state_of(vm.id), VmState::running);
  EXPECT_TRUE(store.list_snapshots(vm.id).empty());
  EXPECT_TRUE(fs::is_empty(runtime / "snapshots" / vm.id));
  EXPECT_TRUE(snapshot_events.events().empty());
}

TEST_F(SnapshotTest, AFailedDiskCopyLeavesNothingAndTheVmRunsOn) {
  auto vm = running();
  EXPECT_CALL(*cap, save_disks(_, _)).WillOnce(Throw(Error(ErrorKind::backend_failed, "io error")));
  EXPECT_CALL(backend, resume(handles_42));
  EXPECT_EQ(kind_of([&] { take(vm, "broken"); }), ErrorKind::backend_failed);
  EXPECT_EQ(state_of(vm.id), VmState::running);
  EXPECT_TRUE(store.list_snapshots(vm.id).empty());
  EXPECT_TRUE(fs::is_empty(runtime / "snapshots" / vm.id));
}

TEST_F(SnapshotTest, AVmmThatRunsOnAtTheSecondTryIsKept) {
  auto vm = running();
  EXPECT_CALL(backend, resume(handles_42))
      .WillOnce(Throw(Error(ErrorKind::backend_failed, "Failed to get \"write\" lock")))
      .WillOnce(Return());
  EXPECT_CALL(backend, kill(_)).Times(0);
  take(vm, "second-try");
  EXPECT_EQ(state_of(vm.id), VmState::running);
  EXPECT_EQ(handles_on_disk(vm.id), handles_42);
}

TEST_F(SnapshotTest, AVmmThatWillNotRunOnIsRestoredFromTheCheckpointJustTaken) {
  auto vm = running();
  EXPECT_CALL(backend, resume(handles_42)).Times(3).WillRepeatedly(Throw(Error(ErrorKind::backend_failed, "cont refused")));
  EXPECT_CALL(backend, kill(handles_42));
  auto s = take(vm, "rescue");
  EXPECT_EQ(state_of(vm.id), VmState::running);
  EXPECT_TRUE(store.find_snapshot(s.id)) << "the checkpoint stays";
  EXPECT_EQ(events.states(vm.id).back(), "running");
}

TEST_F(SnapshotTest, BackendsThatCannotSaveStateTakeOnlyStoppedVms) {
  ON_CALL(backend, saved_state_format(_)).WillByDefault(Return(""));
  auto vm = running();
  EXPECT_CALL(backend, pause(_)).Times(0);
  EXPECT_EQ(kind_of([&] { manager.plan_snapshot(vm.id, "x"); }), ErrorKind::not_supported);
  manager.stop(vm.id, false);
  EXPECT_FALSE(take(vm, "x").has_memory);
}

TEST_F(SnapshotTest, SuspendedAndFailedVmsAreRefused) {
  auto vm = running();
  manager.suspend(vm.id);
  auto why = testing::error_message_of(ErrorKind::invalid_state, [&] { manager.plan_snapshot(vm.id, "x"); });
  EXPECT_NE(why.find("start it first"), std::string::npos) << why;
}

TEST_F(SnapshotTest, RestoringADiskCheckpointKillsARunningVmAndLeavesItStoppedWithThoseDisks) {
  auto vm = created();
  auto s = take(vm, "clean");
  manager.start(vm.id);
  {
    InSequence order;
    EXPECT_CALL(backend, kill(handles_42));
    EXPECT_CALL(*cap, restore_disks(_, snapshot_dir(vm, s) / "disks"));
  }
  EXPECT_CALL(backend, launch(_)).Times(0);
  auto after = manager.restore_snapshot(s.id, progress);
  EXPECT_EQ(after.state, VmState::stopped);
  EXPECT_EQ(state_of(vm.id), VmState::stopped);
  EXPECT_TRUE(fs::exists(snapshot_dir(vm, s) / "disks" / "rootfs.ext4")) << "the checkpoint stays";
  EXPECT_FALSE(fs::exists(runtime / "snapshots" / vm.id / "restoring"));
}

TEST_F(SnapshotTest, RestoringAMemoryCheckpointStartsTheVmFromItAgainAndAgain) {
  auto vm = running();
  auto s = take(vm, "warm");
  for (int round = 0; round < 2; ++round) {
    EXPECT_CALL(*cap, restore_disks(_, snapshot_dir(vm, s) / "disks"));
    EXPECT_CALL(backend, launch(::testing::Field(&MachineConfig::restore_from, saved_dir(vm.id) / "vmm")))
        .WillOnce(Return(handles_42));
    auto after = manager.restore_snapshot(s.id, progress);
    EXPECT_EQ(after.state, VmState::running) << round;
    EXPECT_FALSE(fs::exists(saved_dir(vm.id))) << "loaded, then dropped as after a suspend";
    EXPECT_TRUE(SavedStates(runtime / "snapshots" / vm.id).find(s.id)) << "the checkpoint keeps its own";
    ::testing::Mock::VerifyAndClearExpectations(&backend);
  }
  const auto states = events.states(vm.id);
  ASSERT_GE(states.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(states.end() - 5, states.end()),
            (std::vector<std::string>{"stopping", "stopped", "suspended", "starting", "running"}));
}

TEST_F(SnapshotTest, ASuspendedVmLosesItsSavedStateToTheRestore) {
  auto vm = created();
  auto s = take(vm, "clean");
  manager.start(vm.id);
  manager.suspend(vm.id);
  ASSERT_TRUE(fs::exists(saved_dir(vm.id)));
  EXPECT_EQ(manager.restore_snapshot(s.id, progress).state, VmState::stopped);
  EXPECT_FALSE(fs::exists(saved_dir(vm.id)));
}

TEST_F(SnapshotTest, AMemoryCheckpointOfAnotherMachineIsRefusedBeforeAnythingIsTouched) {
  auto vm = running();
  auto s = take(vm, "small");
  manager.stop(vm.id, false);
  VmChanges bigger;
  bigger.memory_mib = 1024;
  manager.set(vm.id, bigger);
  EXPECT_CALL(*cap, restore_disks(_, _)).Times(0);
  auto why = testing::error_message_of(ErrorKind::invalid_state, [&] { manager.restore_snapshot(s.id, progress); });
  EXPECT_NE(why.find("256 MiB then"), std::string::npos) << why;
  EXPECT_EQ(state_of(vm.id), VmState::stopped);
}

TEST_F(SnapshotTest, ParentsFollowTheCheckpointsTakenAndRestored) {
  auto vm = created();
  auto a = take(vm, "a");
  auto b = take(vm, "b");
  EXPECT_EQ(b.parent, a.id);
  manager.restore_snapshot(a.id, progress);
  auto c = take(vm, "c");
  EXPECT_EQ(c.parent, a.id) << "taken after restoring a";
  manager.delete_snapshot(a.id);
  EXPECT_EQ(store.find_snapshot(b.id)->parent, "");
  EXPECT_EQ(store.find_snapshot(c.id)->parent, "");
  EXPECT_EQ(snapshot_events.events(),
            (std::vector<std::string>{"added a", "added b", "added c", "removed a", "changed b", "changed c"}));
}

TEST_F(SnapshotTest, DeleteRemovesTheRowAndTheFiles) {
  auto vm = running();
  auto s = take(vm, "gone");
  manager.delete_snapshot(s.id);
  EXPECT_FALSE(store.find_snapshot(s.id));
  EXPECT_FALSE(fs::exists(snapshot_dir(vm, s)));
  EXPECT_EQ(kind_of([&] { manager.delete_snapshot(s.id); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { manager.restore_snapshot(s.id, progress); }), ErrorKind::invalid_args);
}

TEST_F(SnapshotTest, DeletingTheVmDeletesItsCheckpoints) {
  auto vm = created();
  auto s = take(vm, "one");
  take(vm, "two");
  manager.remove(vm.id);
  EXPECT_TRUE(store.list_all_snapshots().empty());
  EXPECT_FALSE(fs::exists(runtime / "snapshots" / vm.id));
  EXPECT_EQ(snapshot_events.events(),
            (std::vector<std::string>{"added one", "added two", "removed one", "removed two"}));
}

// A ledger whose root disks are 100 MiB and which reads checkpoints' sizes off the store.
struct FixedLedger : DiskLedger {
  explicit FixedLedger(SnapshotStore& s) : snapshots(s) {}
  std::uint64_t root_disk_mib(const VmRecord&) override { return 100; }
  std::uint64_t kept_disks_mib(std::uint32_t) override { return 0; }
  std::uint64_t snapshots_mib(std::uint32_t uid) override { return snapshots.snapshot_bytes_of_owner(uid) >> 20; }
  SnapshotStore& snapshots;
};

TEST_F(SnapshotTest, CheckpointsCountInTheOwnersDiskQuota) {
  FixedLedger ledger(store);
  UserQuota quota;
  // The VM counts 100 + 8192 MiB (its default work disk); a disk checkpoint may come to as
  // much, and takes 100 (what save_disks wrote): room for one, not two.
  quota.max_disk_mib = 2 * 8292 + 50;
  ON_CALL(*cap, save_disks(_, _)).WillByDefault(Invoke([](const VmRecord&, const fs::path& dir) {
    std::ofstream(dir / "rootfs.ext4").close();
    fs::resize_file(dir / "rootfs.ext4", 100 << 20);  // sparse: its apparent size counts
  }));
  VmManager limited{{store, backends, caps, events, handles_files, &watch, nullptr, &ledger, nullptr, &store},
                    {200ms, 1500ms, runtime, {}, quota}};
  auto vm = created();
  auto s = limited.take_snapshot(limited.plan_snapshot(vm.id, "one"), progress);
  EXPECT_EQ(s.size_bytes, 100u << 20);
  auto why = testing::error_message_of(ErrorKind::resource_exhausted, [&] { limited.plan_snapshot(vm.id, "two"); });
  EXPECT_NE(why.find("max_disk_mib"), std::string::npos) << why;
  VmChanges more;
  more.work_disk_mib = 16500;  // would fit without the checkpoint
  EXPECT_EQ(kind_of([&] { limited.set(vm.id, more); }), ErrorKind::resource_exhausted)
      << "and they count when a VM grows";
}

TEST_F(SnapshotTest, TwoCheckpointsTakenAtOnceCannotBothHaveTheLastOfAQuota) {
  FixedLedger ledger(store);
  UserQuota quota;
  // Two VMs of 100 + 8192 MiB; a disk checkpoint may come to 8292 and takes 100: room for one
  // under way, and for a second once the first is counted at its size.
  quota.max_disk_mib = 3 * 8292 + 150;
  std::promise<void> copying, go_on;
  auto released = go_on.get_future().share();
  ON_CALL(*cap, save_disks(_, _)).WillByDefault(Invoke([&](const VmRecord& vm, const fs::path& dir) {
    std::ofstream(dir / "rootfs.ext4").close();
    fs::resize_file(dir / "rootfs.ext4", 100 << 20);
    if (vm.name == "web") {
      copying.set_value();
      released.wait();
    }
  }));
  VmManager limited{{store, backends, caps, events, handles_files, &watch, nullptr, &ledger, nullptr, &store},
                    {200ms, 1500ms, runtime, {}, quota}};
  auto web = created("web");
  auto db = created("db");
  auto first = std::async(std::launch::async, [&] { return limited.take_snapshot(limited.plan_snapshot(web.id, "a"), progress); });
  copying.get_future().wait();
  auto why = testing::error_message_of(ErrorKind::resource_exhausted,
                                       [&] { limited.take_snapshot(limited.plan_snapshot(db.id, "b"), progress); });
  EXPECT_NE(why.find("max_disk_mib"), std::string::npos) << why;
  go_on.set_value();
  first.get();
  EXPECT_NO_THROW(limited.take_snapshot(limited.plan_snapshot(db.id, "b"), progress))
      << "the first one now counts at its size";
}

struct SnapshotRecoverTest : SnapshotTest {
  testing::RecordingWatch new_watch;
  HandlesFiles new_handles{runtime};
  VmManager restarted{{store, backends, caps, events, new_handles, &new_watch, nullptr, nullptr, nullptr, &store},
                      {200ms, 1500ms, runtime}};
};

TEST_F(SnapshotRecoverTest, HalfMadeCheckpointsAreRemovedAndRowsWithoutFilesDropped) {
  auto vm = created();
  auto kept = take(vm, "kept");
  auto lost = take(vm, "lost");
  fs::remove_all(snapshot_dir(vm, lost));
  const auto half = runtime / "snapshots" / vm.id / "0123456789abcdef0123456789abcdef";
  fs::create_directories(half / "disks");
  const auto of_deleted = runtime / "snapshots" / "fedcba9876543210fedcba9876543210" / "0123";
  fs::create_directories(of_deleted);
  restarted.recover();
  EXPECT_TRUE(store.find_snapshot(kept.id));
  EXPECT_TRUE(fs::exists(snapshot_dir(vm, kept)));
  EXPECT_FALSE(store.find_snapshot(lost.id));
  EXPECT_FALSE(fs::exists(half));
  EXPECT_FALSE(fs::exists(of_deleted.parent_path()));
}

TEST_F(SnapshotRecoverTest, AMemoryCheckpointWithoutItsManifestIsDropped) {
  auto vm = running();
  auto s = take(vm, "warm");
  fs::remove(snapshot_dir(vm, s) / "manifest");
  restarted.recover();
  EXPECT_FALSE(store.find_snapshot(s.id));
  EXPECT_FALSE(fs::exists(snapshot_dir(vm, s)));
}

TEST_F(SnapshotRecoverTest, ARestoreCutOffHalfwayIsFinished) {
  auto vm = running();
  auto s = take(vm, "warm");
  manager.kill(vm.id);
  // As a restore leaves it when bangerd dies after its disks: the VM stopped, the intent written.
  std::ofstream(runtime / "snapshots" / vm.id / "restoring") << s.id;
  EXPECT_CALL(*cap, restore_disks(_, snapshot_dir(vm, s) / "disks"));
  restarted.recover();
  EXPECT_EQ(state_of(vm.id), VmState::suspended) << "its saved state is the checkpoint's: Start resumes it";
  EXPECT_TRUE(SavedStates(runtime / "saved-states").find(vm.id));
  EXPECT_FALSE(fs::exists(runtime / "snapshots" / vm.id / "restoring"));
  EXPECT_EQ(store.latest_snapshot(vm.id), s.id);
}

}  // namespace
}  // namespace banger
