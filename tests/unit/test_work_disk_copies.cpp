// Copies of a VM's work disk: a checkpoint's (issue 19: save_disks, then
// restore_disks bringing it back) and a clone's, sparse and its own.
#include "work_disk_fixture.h"

namespace banger {
namespace {

using namespace work_disk_test;

// Issue 19: a checkpoint holds the disk as it was, sparse; restore brings it back whole.
TEST_F(WorkDiskTest, ACheckpointCopiesTheDiskAndRestoreReplacesIt) {
  disk.provision(vm, progress);
  put_file(file(), "note", "before");
  const auto checkpoint = dir.file("checkpoint");
  fs::create_directories(checkpoint);
  disk.save_disks(vm, checkpoint);
  ASSERT_TRUE(fs::exists(checkpoint / "work.ext4"));
  EXPECT_EQ(fs::file_size(checkpoint / "work.ext4"), fs::file_size(file()));
  EXPECT_LT(allocated_bytes(checkpoint / "work.ext4"), 16 * mib) << "holes stay holes";
  put_file(file(), "note2", "after");
  disk.restore_disks(vm, checkpoint);
  EXPECT_EQ(read_file_in(file(), "note"), "before");
  EXPECT_EQ(read_file_in(file(), "note2"), "") << "what came after the checkpoint is gone";
  EXPECT_FALSE(fs::exists(file().string() + ".partial"));
  EXPECT_EQ(read_file_in(checkpoint / "work.ext4", "note"), "before") << "the checkpoint stays";
}

TEST_F(WorkDiskTest, ACheckpointWithoutAWorkDiskLeavesTheVmsOnRestore) {
  const auto checkpoint = dir.file("checkpoint");
  fs::create_directories(checkpoint);
  disk.save_disks(vm, checkpoint);  // no disk made yet
  EXPECT_TRUE(fs::is_empty(checkpoint));
  disk.provision(vm, progress);
  put_file(file(), "note", "kept");
  disk.restore_disks(vm, checkpoint);
  EXPECT_EQ(read_file_in(file(), "note"), "kept");
}

TEST_F(WorkDiskTest, ACloneGetsACopyOfTheSourcesFiles) {
  disk.provision(vm, progress);
  put_file(file(), "notes.txt", "from the source");
  VmRecord copy = testing::make_vm("fedcba9876543210fedcba9876543210", "web-2");
  copy.work_disk_mib = vm.work_disk_mib;
  fs::create_directories(state / "vms" / copy.id);
  disk.provision_clone(vm, copy, progress);
  EXPECT_EQ(read_file_in(disk.disk_of(copy), "notes.txt"), "from the source");
  EXPECT_EQ(fs::file_size(disk.disk_of(copy)), fs::file_size(file()));
  put_file(disk.disk_of(copy), "notes.txt", "changed in the copy");
  EXPECT_EQ(read_file_in(file(), "notes.txt"), "from the source") << "the copy is the clone's own";

  // A source without a work disk: the clone gets a new, empty one.
  VmRecord bare = testing::make_vm("00000000000000000000000000000001", "bare");
  VmRecord bare_copy = testing::make_vm("00000000000000000000000000000002", "bare-2");
  bare_copy.work_disk_mib = 128;
  fs::create_directories(state / "vms" / bare_copy.id);
  disk.provision_clone(bare, bare_copy, progress);
  EXPECT_EQ(filesystem_mib(disk.disk_of(bare_copy)), 128u);
}

}  // namespace
}  // namespace banger
