// The work disk capability against real e2fsprogs: sparse ext4 images made,
// attached, grown, kept or deleted, and the host disk ledger. Checkpoints and
// clones: test_work_disk_copies.cpp; full host disks: test_work_disk_full_host.cpp.
#include "work_disk_fixture.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "capabilities/disk_ledger.h"
#include "core/options.h"
#include "store/sqlite_store.h"

namespace banger {
namespace {

using namespace work_disk_test;
using testing::error_message_of;
using testing::kind_of;

TEST_F(WorkDiskTest, ProvisionMakesASparseExt4OfTheSize) {
  vm.work_disk_mib = 8192;  // the default
  disk.check_create(vm);
  disk.provision(vm, progress);
  EXPECT_EQ(file(), state / "vms" / vm.id / "work.ext4");
  EXPECT_EQ(fs::file_size(file()), 8192 * mib);
  EXPECT_LT(allocated_bytes(file()), 16 * mib) << "sparse: the size is promised, not written";
  EXPECT_LE(allocated_bytes(file()), WorkDisk::metadata_bytes(8192)) << "what check_create asks to be free";
  const auto fields = superblock(file());
  EXPECT_EQ(fields.count("Filesystem volume name") ? fields.at("Filesystem volume name") : "", "banger-work");
  EXPECT_EQ(filesystem_mib(file()), 8192u);
}

TEST_F(WorkDiskTest, TheDiskIsTheSecondDriveAndTheGuestMountsIt) {
  disk.provision(vm, progress);
  MachineConfig machine;
  machine.drives.push_back({"rootfs", "/root.ext4", true, false});
  GuestConfig guest;
  disk.contribute_guest(vm, guest);
  disk.contribute_machine(vm, machine);
  ASSERT_EQ(machine.drives.size(), 2u);
  EXPECT_EQ(machine.drives[1].id, "work");
  EXPECT_EQ(machine.drives[1].path, file());
  EXPECT_FALSE(machine.drives[1].is_root);
  EXPECT_FALSE(machine.drives[1].read_only);
  EXPECT_EQ(guest.values, (std::map<std::string, std::string>{{"work", "/dev/vdb"}}));
}

TEST_F(WorkDiskTest, AVmWithoutAWorkDiskGetsNone) {
  vm.work_disk_mib = 0;
  disk.check_create(vm);
  disk.provision(vm, progress);
  EXPECT_FALSE(fs::exists(file()));
  MachineConfig machine;
  GuestConfig guest;
  std::vector<PreflightCheck> checks;
  disk.contribute_guest(vm, guest);
  disk.contribute_machine(vm, machine);
  disk.add_start_preflight(vm, checks);
  EXPECT_TRUE(machine.drives.empty());
  EXPECT_TRUE(guest.values.empty());
  EXPECT_TRUE(checks.empty());
}

TEST_F(WorkDiskTest, SizesOutsideTheBoundsOrBeyondTheHostAreRefused) {
  vm.work_disk_mib = 10;
  EXPECT_EQ(kind_of([&] { disk.check_create(vm); }), ErrorKind::invalid_args);
  vm.work_disk_mib = max_disk_mib + 1;
  EXPECT_EQ(kind_of([&] { disk.check_create(vm); }), ErrorKind::invalid_args);
  // Sparse disks may promise more than is free, but never more than the host's whole disk.
  vm.work_disk_mib = max_disk_mib;
  const auto message = error_message_of(ErrorKind::resource_exhausted, [&] { disk.check_create(vm); });
  EXPECT_NE(message.find("in all"), std::string::npos) << message;
  EXPECT_EQ(kind_of([&] { disk.provision(vm, progress); }), ErrorKind::resource_exhausted);
  EXPECT_FALSE(fs::exists(file()));
}

TEST_F(WorkDiskTest, StartNeedsTheDisk) {
  std::vector<PreflightCheck> checks;
  disk.add_start_preflight(vm, checks);
  ASSERT_EQ(checks.size(), 1u);
  const auto message = error_message_of(ErrorKind::backend_failed, [&] { checks[0].run(); });
  EXPECT_NE(message.find("work disk"), std::string::npos) << message;
  disk.provision(vm, progress);
  EXPECT_NO_THROW(checks[0].run());
}

TEST_F(WorkDiskTest, SetGrowsTheDiskAndKeepsItsFiles) {
  disk.provision(vm, progress);
  put_file(file(), "kept.txt", "still here\n");
  VmRecord after = vm;
  after.work_disk_mib = 1024;
  disk.apply_config_change(vm, after);
  EXPECT_EQ(fs::file_size(file()), 1024 * mib);
  EXPECT_EQ(filesystem_mib(file()), 1024u);
  EXPECT_LT(allocated_bytes(file()), 64 * mib) << "still sparse after growing";
  EXPECT_EQ(read_file_in(file(), "kept.txt"), "still here\n");

  VmRecord renamed = after;  // Set of another setting leaves the disk alone
  renamed.name = "web2";
  disk.apply_config_change(after, renamed);
  EXPECT_EQ(filesystem_mib(file()), 1024u);
}

TEST_F(WorkDiskTest, SetRefusesToShrinkTheDisk) {
  disk.provision(vm, progress);
  VmRecord smaller = vm;
  smaller.work_disk_mib = 128;
  const auto message = error_message_of(ErrorKind::invalid_args, [&] { disk.apply_config_change(vm, smaller); });
  EXPECT_NE(message.find("only grow"), std::string::npos) << message;
  EXPECT_EQ(fs::file_size(file()), 256 * mib);
  EXPECT_EQ(filesystem_mib(file()), 256u);
}

TEST_F(WorkDiskTest, SetGivesAVmWithoutOneAWorkDisk) {
  VmRecord before = vm;
  before.work_disk_mib = 0;
  disk.apply_config_change(before, vm);
  EXPECT_EQ(filesystem_mib(file()), 256u);
  EXPECT_EQ(superblock(file())["Filesystem volume name"], "banger-work");
}

TEST_F(WorkDiskTest, GrowingALostDiskSaysSo) {
  VmRecord after = vm;
  after.work_disk_mib = 512;
  const auto message = error_message_of(ErrorKind::backend_failed, [&] { disk.apply_config_change(vm, after); });
  EXPECT_NE(message.find("missing"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(file()));
}

TEST_F(WorkDiskTest, StopsKeepTheDiskAndDeleteRemovesIt) {
  disk.provision(vm, progress);
  disk.cleanup(vm, CleanupReason::stopped);
  disk.cleanup(vm, CleanupReason::start_failed);
  EXPECT_TRUE(fs::exists(file()));
  disk.cleanup(vm, CleanupReason::deleted);
  EXPECT_FALSE(fs::exists(file()));
  EXPECT_FALSE(fs::exists(state / "kept"));
  disk.cleanup(vm, CleanupReason::deleted);  // idempotent
}

TEST_F(WorkDiskTest, DeleteWithKeepWorkDiskMovesItAside) {
  vm.keep_work_disk = true;
  disk.provision(vm, progress);
  put_file(file(), "data.txt", "mine\n");
  disk.cleanup(vm, CleanupReason::deleted);
  const auto kept = state / "kept" / "web-0123456789ab.work.ext4";
  EXPECT_EQ(disk.kept_disk_of(vm), kept);
  EXPECT_FALSE(fs::exists(file()));
  ASSERT_TRUE(fs::exists(kept));
  EXPECT_EQ(read_file_in(kept, "data.txt"), "mine\n");
  EXPECT_EQ(fs::status(state / "kept").permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(WorkDiskTest, AKeptDiskBelongsToItsVmsOwnerAndCountsForThemAlone) {
  vm.keep_work_disk = true;
  vm.owner_uid = 4242;
  disk.provision(vm, progress);
  disk.cleanup(vm, CleanupReason::deleted);
  struct stat st {};
  ASSERT_EQ(::stat(disk.kept_disk_of(vm).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 4242u);

  SqliteStore images{":memory:"};
  HostDiskLedger ledger(images, state);
  EXPECT_EQ(ledger.kept_disks_mib(4242), 256u) << "its apparent size, though sparse";
  EXPECT_EQ(ledger.kept_disks_mib(4243), 0u);
  EXPECT_EQ(ledger.kept_disks_mib(0), 0u);
}

TEST_F(WorkDiskTest, TheLedgerCountsARootDiskAtItsSizeOrItsImagesRootfs) {
  SqliteStore images{":memory:"};
  ImageRecord image;
  image.id = "img";
  image.name = "tiny";
  image.rootfs = dir.file("rootfs.ext4").string();
  images.insert_image(image);
  std::ofstream(image.rootfs).close();
  fs::resize_file(fs::path(image.rootfs), 3 * mib + 1);  // apparent size, rounded up to whole MiB
  HostDiskLedger ledger(images, state);
  vm.image = "img";
  vm.disk_mib = 0;
  EXPECT_EQ(ledger.root_disk_mib(vm), 4u);
  vm.image = "tiny";  // rows of before image ids name the image
  EXPECT_EQ(ledger.root_disk_mib(vm), 4u);
  vm.disk_mib = 2048;
  EXPECT_EQ(ledger.root_disk_mib(vm), 2048u);
  vm.disk_mib = 0;
  vm.image = "gone";
  EXPECT_EQ(ledger.root_disk_mib(vm), 0u);
}

TEST_F(WorkDiskTest, AFailedCreateRemovesTheDiskEvenWhenAskedToKeepIt) {
  vm.keep_work_disk = true;
  disk.provision(vm, progress);
  disk.cleanup(vm, CleanupReason::create_failed);
  EXPECT_FALSE(fs::exists(file()));
  EXPECT_FALSE(fs::exists(disk.kept_disk_of(vm)));
}

TEST_F(WorkDiskTest, DoctorNamesTheMissingTools) {
  std::vector<DoctorCheck> checks;
  disk.add_doctor_checks(checks);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].check, "work-disk");
  EXPECT_EQ(checks[0].status, "ok") << checks[0].summary;

  testing::TempDir empty;
  const std::string saved = std::getenv("PATH");
  setenv("PATH", empty.file("").c_str(), 1);
  checks.clear();
  disk.add_doctor_checks(checks);
  setenv("PATH", saved.c_str(), 1);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].status, "fail");
  EXPECT_NE(checks[0].summary.find("mkfs.ext4, resize2fs, e2fsck"), std::string::npos) << checks[0].summary;
  EXPECT_NE(checks[0].fix.find("e2fsprogs"), std::string::npos);
}

}  // namespace
}  // namespace banger
