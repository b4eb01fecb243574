// Snapshot.Clone, cold, in the VmManager (vm_manager_snapshot_clone.cpp): a new
// VM from a checkpoint's disks, whatever the state of the VM it is of.
#include "core/errors.h"
#include "error_kind.h"
#include "vm_manager_snapshot_fixture.h"

namespace banger {
namespace {

using ::testing::Throw;
using testing::kind_of;

TEST_F(SnapshotTest, ACloneOfAMemoryCheckpointCopiesItsDisksWhileTheVmRunsOn) {
  auto vm = running();
  auto s = take(vm, "warm");
  const auto disks = snapshot_dir(vm, s) / "disks";
  auto copy = manager.begin_checkpoint_clone(s.id, "warm-copy", 2000);
  EXPECT_EQ(copy.state, VmState::creating);
  EXPECT_NE(copy.id, vm.id);
  EXPECT_EQ(copy.owner_uid, 2000u);
  EXPECT_EQ(copy.memory_mib, vm.memory_mib);
  EXPECT_EQ(copy.image, vm.image);
  EXPECT_FALSE(copy.autostart);
  EXPECT_CALL(*cap, provision_clone(_, _, _)).Times(0);
  EXPECT_CALL(*cap, provision_from_checkpoint(_, disks, _, _))
      .WillOnce(Invoke([&](const VmRecord& from, const fs::path& dir, VmRecord& to, ProgressSink&) {
        EXPECT_EQ(from.id, vm.id);
        EXPECT_EQ(to.id, copy.id);
        EXPECT_TRUE(fs::exists(dir / "rootfs.ext4")) << "the checkpoint's copy, not the VM's disk";
        to.root_disk_strategy = "reflink";
      }));
  EXPECT_CALL(backend, save_state(_, _)).Times(0);
  EXPECT_CALL(backend, kill(_)).Times(0);
  auto done = manager.finish_checkpoint_clone(copy.id, s.id, progress);
  EXPECT_EQ(done.state, VmState::created) << "it boots afresh";
  EXPECT_EQ(store.find_vm(copy.id)->root_disk_strategy, "reflink");
  EXPECT_EQ(state_of(vm.id), VmState::running) << "the VM runs on";
  EXPECT_EQ(handles_on_disk(vm.id), handles_42);
  EXPECT_TRUE(store.find_snapshot(s.id)) << "the checkpoint stays";
  EXPECT_TRUE(store.list_snapshots(copy.id).empty()) << "the copy has none of its own";
}

TEST_F(SnapshotTest, ACloneFromACheckpointRefusesATakenNameAndAMissingCheckpoint) {
  auto vm = created();
  auto s = take(vm, "clean");
  EXPECT_EQ(kind_of([&] { manager.begin_checkpoint_clone(s.id, "web", 1000); }), ErrorKind::exists);
  EXPECT_EQ(kind_of([&] { manager.begin_checkpoint_clone(s.id, "Bad Name", 1000); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { manager.begin_checkpoint_clone("nosuchcheckpoint", "web-2", 1000); }),
            ErrorKind::invalid_args);
  EXPECT_EQ(manager.list().size(), 1u) << "no record was left";
}

TEST_F(SnapshotTest, ACloneWhoseCheckpointWasDeletedMeanwhileFailsAndGoes) {
  auto vm = created();
  auto s = take(vm, "clean");
  auto copy = manager.begin_checkpoint_clone(s.id, "web-2", 1000);
  manager.delete_snapshot(s.id);
  EXPECT_CALL(*cap, provision_from_checkpoint(_, _, _, _)).Times(0);
  EXPECT_EQ(kind_of([&] { manager.finish_checkpoint_clone(copy.id, s.id, progress); }), ErrorKind::invalid_args);
  EXPECT_FALSE(store.find_vm(copy.id)) << "not left creating";
}

TEST_F(SnapshotTest, AFailedCopyFromACheckpointIsCleanedUpAndLeavesTheCheckpoint) {
  auto vm = created();
  auto s = take(vm, "clean");
  auto copy = manager.begin_checkpoint_clone(s.id, "web-2", 1000);
  EXPECT_CALL(*cap, provision_from_checkpoint(_, _, _, _))
      .WillOnce(Throw(Error(ErrorKind::resource_exhausted, "disk full")));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::create_failed));
  EXPECT_EQ(kind_of([&] { manager.finish_checkpoint_clone(copy.id, s.id, progress); }),
            ErrorKind::resource_exhausted);
  EXPECT_FALSE(store.find_vm(copy.id));
  EXPECT_TRUE(fs::exists(snapshot_dir(vm, s) / "disks" / "rootfs.ext4"));
}

}  // namespace
}  // namespace banger
