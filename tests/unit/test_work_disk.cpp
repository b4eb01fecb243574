// The work disk capability against real e2fsprogs: sparse ext4 images made,
// attached, grown, kept or deleted; full host disks on small tmpfs mounts.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <memory>
#include <string>

#include "capabilities/disk_ledger.h"
#include "capabilities/vm_directories.h"
#include "capabilities/work_disk.h"
#include "core/capabilities.h"
#include "core/options.h"
#include "disks/ext4_image.h"
#include "error_kind.h"
#include "recording_events.h"
#include "store/sqlite_store.h"
#include "store_fixtures.h"

namespace banger {
namespace {

namespace fs = std::filesystem;
using testing::error_message_of;
using testing::kind_of;

constexpr std::uint64_t mib = 1024 * 1024;

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  char buf[4096];
  for (std::size_t n; p != nullptr && (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  if (p != nullptr) pclose(p);
  return out;
}

// dumpe2fs -h's "Name: value" lines.
std::map<std::string, std::string> superblock(const fs::path& image) {
  std::map<std::string, std::string> fields;
  std::istringstream lines(run("dumpe2fs -h " + image.string() + " 2>/dev/null"));
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto value = line.find_first_not_of(' ', colon + 1);
    fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
  }
  return fields;
}

std::uint64_t filesystem_mib(const fs::path& image) {
  const auto fields = superblock(image);
  if (!fields.contains("Block count") || !fields.contains("Block size")) return 0;
  return std::stoull(fields.at("Block count")) * std::stoull(fields.at("Block size")) / mib;
}

std::uint64_t allocated_bytes(const fs::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_blocks) * 512 : 0;
}

// A file in the image's root directory, written and read with debugfs (no mount needed).
void put_file(const fs::path& image, const std::string& name, const std::string& text) {
  testing::TempDir tmp;
  std::ofstream(tmp.file("src")) << text;
  run("debugfs -w -R 'write " + tmp.file("src").string() + " " + name + "' " + image.string() + " 2>&1");
}
std::string read_file_in(const fs::path& image, const std::string& name) {
  return run("debugfs -R 'cat /" + name + "' " + image.string() + " 2>/dev/null");
}

struct WorkDiskTest : ::testing::Test {
  testing::TempDir dir;
  fs::path state = dir.file("state");
  WorkDisk disk{state};
  testing::NullProgress progress;
  VmRecord vm = testing::make_vm("0123456789abcdef0123456789abcdef", "web");

  void SetUp() override {
    vm.work_disk_mib = 256;
    fs::create_directories(state / "vms" / vm.id);
  }
  fs::path file() const { return disk.disk_of(vm); }
};

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

TEST_F(WorkDiskTest, AnMkfsThatFindsTheDiskFullIsResourceExhausted) {
  // The free-space check passed, then the room went (another VM's disk filled up).
  const auto bin = dir.file("bin");
  fs::create_directory(bin);
  std::ofstream(bin / "mkfs.ext4") << "#!/bin/sh\necho 'mkfs.ext4: No space left on device while writing out' >&2\nexit 1\n";
  fs::permissions(bin / "mkfs.ext4", fs::perms::owner_all);
  const std::string saved = std::getenv("PATH");
  setenv("PATH", (bin.string() + ":" + saved).c_str(), 1);
  const auto message = error_message_of(ErrorKind::resource_exhausted, [&] { disk.provision(vm, progress); });
  setenv("PATH", saved.c_str(), 1);
  EXPECT_NE(message.find("full"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(file()));
}

// A state directory on a tmpfs of `size_mib` MiB: a host disk that fills up.
class SmallHostDisk {
 public:
  explicit SmallHostDisk(int size_mib) {
    fs::create_directories(dir_.file("mnt"));
    const std::string options = "size=" + std::to_string(size_mib) + "m,mode=0700";
    mounted_ = ::mount("tmpfs", dir_.file("mnt").c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallHostDisk() {
    if (mounted_) ::umount2(dir_.file("mnt").c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  fs::path path() const { return dir_.file("mnt"); }

 private:
  testing::TempDir dir_;
  bool mounted_ = false;
};

TEST_F(WorkDiskTest, AFullHostDiskRefusesTheCreateAndLeavesNothing) {
  SmallHostDisk host(80);
  if (!host.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  run("fallocate -l 70M " + (host.path() / "filler").string());
  vm.work_disk_mib = 64;  // fits the host disk, but mkfs needs more than is left
  const auto small_state = host.path() / "state";
  auto directories = std::make_shared<VmDirectories>(small_state, host.path() / "run");
  auto work = std::make_shared<WorkDisk>(small_state);
  Capabilities capabilities({directories, work});

  const auto message = error_message_of(ErrorKind::resource_exhausted, [&] { capabilities.check_create(vm); });
  EXPECT_NE(message.find("free"), std::string::npos) << message;
  // Provision checks again (the room may have gone since) and cleans up after itself.
  EXPECT_EQ(kind_of([&] { capabilities.provision(vm, progress); }), ErrorKind::resource_exhausted);
  EXPECT_FALSE(fs::exists(directories->state_dir_of(vm)));
  EXPECT_FALSE(fs::exists(work->disk_of(vm)));
}

TEST_F(WorkDiskTest, GrowingOnAFullHostDiskIsRefusedAndTheDiskStaysUsable) {
  SmallHostDisk host(100);
  if (!host.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  WorkDisk small(host.path() / "state");
  fs::create_directories(host.path() / "state" / "vms" / vm.id);
  vm.work_disk_mib = 64;
  small.provision(vm, progress);
  // Fill the host disk but for a few MiB: too little for the new metadata.
  run("fallocate -l 90M " + (host.path() / "filler").string());
  VmRecord after = vm;
  after.work_disk_mib = 96;
  EXPECT_EQ(kind_of([&] { small.apply_config_change(vm, after); }), ErrorKind::resource_exhausted);
  EXPECT_EQ(filesystem_mib(small.disk_of(vm)), 64u);
  EXPECT_EQ(fs::file_size(small.disk_of(vm)), 64 * mib);
}

}  // namespace
}  // namespace banger

namespace banger {
namespace {

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
