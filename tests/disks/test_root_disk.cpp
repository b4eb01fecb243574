// Root disks for real: reflink on an xfs filesystem made here, copy on the
// default filesystem, the dm-snapshot path as far as this host goes, and
// recovery of devices a crashed bangerd left.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fstream>
#include <optional>

#include "core/errors.h"
#include "disks/dm_snapshot.h"
#include "disks/ext4_image.h"
#include "disks/loop_device.h"
#include "disks/root_disk.h"
#include "disks/root_disk_devices.h"
#include "disks/tool.h"
#include "scratch_filesystem.h"

namespace banger {
namespace {

namespace fs = std::filesystem;
using disks::RootDiskStrategy;

constexpr const char* vm_id = "0123456789abcdef0123456789abcdef";

std::uint64_t allocated(const fs::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_blocks) * 512 : 0;
}

// e2fsck -fn: the filesystem is clean (checked read-only).
void expect_clean_ext4(const fs::path& image) { EXPECT_NO_THROW(disks::run_tool({"e2fsck", "-f", "-n", image.string()})); }

// A state dir (with images/ and vms/) and a runtime dir.
struct Dirs {
  explicit Dirs(const fs::path& root) : state(root / "state"), runtime(root / "run") {
    fs::create_directories(state / "images/img1");
    fs::create_directories(state / "vms" / vm_id);
    fs::create_directories(runtime / "vms");
  }
  fs::path image() const { return state / "images/img1/rootfs.ext4"; }
  fs::path state, runtime;
};

struct RootDiskTest : ::testing::Test {
  void SetUp() override {
    if (auto why = testing::enter_private_mount_namespace(); !why.empty()) GTEST_SKIP() << why;
  }
  testing::ScratchDir scratch;
};

TEST_F(RootDiskTest, ReflinkOnXfsSharesTheImagesExtentsAndGrows) {
  auto xfs = testing::ScratchFilesystem::xfs(scratch.path(), 512);
  Dirs dirs(xfs.mount_point());
  testing::make_ext4_with_data(dirs.image(), 96, 32);
  disks::RootDisks disks(dirs.state, dirs.runtime);
  ASSERT_EQ(disks.best_strategy(), RootDiskStrategy::reflink);

  EXPECT_EQ(disks.create(vm_id, dirs.image(), 0), RootDiskStrategy::reflink);
  const auto disk = disks.file(vm_id, RootDiskStrategy::reflink);
  EXPECT_EQ(disk, dirs.state / "vms" / vm_id / "rootfs.ext4");
  EXPECT_TRUE(testing::same_content(disk, dirs.image()));
  const auto usage = testing::extent_usage(disk);
  EXPECT_GE(usage.total, 32u << 20);
  EXPECT_EQ(usage.shared, usage.total) << "every extent of the clone is the image's";

  // Growing writes to the clone only.
  const fs::path image_before = scratch.path() / "image-before";
  fs::copy_file(dirs.image(), image_before);
  disks.grow(vm_id, RootDiskStrategy::reflink, dirs.image(), 96, 160);
  EXPECT_EQ(disks.size_mib(vm_id, RootDiskStrategy::reflink, dirs.image(), 160), 160u);
  expect_clean_ext4(disk);
  EXPECT_TRUE(testing::same_content(dirs.image(), image_before)) << "growing the clone left the image alone";
  EXPECT_GT(testing::extent_usage(disk).shared, 30u << 20) << "the data blocks are still shared";

  disks.remove(vm_id);
  EXPECT_FALSE(fs::exists(disk));
  EXPECT_TRUE(fs::exists(dirs.image()));
}

TEST_F(RootDiskTest, CreateGrowsAReflinkCloneToTheAskedSize) {
  auto xfs = testing::ScratchFilesystem::xfs(scratch.path(), 512);
  Dirs dirs(xfs.mount_point());
  testing::make_ext4_with_data(dirs.image(), 64, 8);
  disks::RootDisks disks(dirs.state, dirs.runtime);
  EXPECT_EQ(disks.create(vm_id, dirs.image(), 200), RootDiskStrategy::reflink);
  EXPECT_EQ(disks::size_mib(disks.file(vm_id, RootDiskStrategy::reflink)), 200u);
  expect_clean_ext4(disks.file(vm_id, RootDiskStrategy::reflink));
  EXPECT_EQ(disks::size_mib(dirs.image()), 64u);
}

TEST_F(RootDiskTest, CopyOnTheDefaultFilesystemKeepsHolesAndSharesNothing) {
  Dirs dirs(scratch.path());
  testing::make_ext4_with_data(dirs.image(), 256, 16);
  disks::RootDisks disks(dirs.state, dirs.runtime);
  struct statfs st {};
  ASSERT_EQ(::statfs(scratch.path().c_str(), &st), 0);
  constexpr long ext4_magic = 0xEF53;
  if (st.f_type == ext4_magic && !disks::device_mapper_unavailable().empty()) {
    EXPECT_EQ(disks.best_strategy(), RootDiskStrategy::copy) << "ext4 cannot reflink and this kernel has no device-mapper";
  }

  EXPECT_EQ(disks.create(vm_id, dirs.image(), 0, RootDiskStrategy::copy), RootDiskStrategy::copy);
  const auto disk = disks.file(vm_id, RootDiskStrategy::copy);
  EXPECT_TRUE(testing::same_content(disk, dirs.image()));
  EXPECT_EQ(testing::extent_usage(disk).shared, 0u);
  EXPECT_LT(allocated(disk), 64u << 20) << "the holes of a 256 MiB image with 16 MiB of data stay holes";
  disks.grow(vm_id, RootDiskStrategy::copy, dirs.image(), 256, 300);
  EXPECT_EQ(disks::size_mib(disk), 300u);
  expect_clean_ext4(disk);
}

TEST_F(RootDiskTest, DisksOnlyGrow) {
  Dirs dirs(scratch.path());
  testing::make_ext4_with_data(dirs.image(), 64, 1);
  disks::RootDisks disks(dirs.state, dirs.runtime);
  disks.create(vm_id, dirs.image(), 96, RootDiskStrategy::copy);
  try {
    disks.grow(vm_id, RootDiskStrategy::copy, dirs.image(), 96, 80);
    FAIL() << "shrank";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_args);
    EXPECT_NE(std::string(e.what()).find("disks only grow"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("96 MiB"), std::string::npos) << e.what();
  }
  EXPECT_EQ(disks::size_mib(disks.file(vm_id, RootDiskStrategy::copy)), 96u);
  try {
    disks.create("another", dirs.image(), 32, RootDiskStrategy::copy);
    FAIL() << "made a disk smaller than its image";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_args);
  }
  EXPECT_FALSE(fs::exists(dirs.state / "vms/another/rootfs.ext4"));
}

TEST_F(RootDiskTest, AFullDiskDuringCreateLeavesNothing) {
  auto small = testing::ScratchFilesystem::tmpfs(scratch.path(), 8);
  fs::create_directories(small.mount_point() / "vms" / vm_id);
  testing::make_ext4_with_data(scratch.path() / "big.ext4", 64, 24);
  disks::RootDisks disks(small.mount_point(), scratch.path() / "run");
  try {
    disks.create(vm_id, scratch.path() / "big.ext4", 0, RootDiskStrategy::copy);
    FAIL() << "24 MiB fit in 8";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::resource_exhausted) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(small.mount_point() / "vms" / vm_id));
}

TEST_F(RootDiskTest, AFailedGrowDuringCreateLeavesNothing) {
  Dirs dirs(scratch.path());
  std::ofstream(dirs.image()) << "not an ext4 filesystem";
  fs::resize_file(dirs.image(), 4 << 20);
  disks::RootDisks disks(dirs.state, dirs.runtime);
  try {
    disks.create(vm_id, dirs.image(), 8, RootDiskStrategy::copy);
    FAIL() << "grew a filesystem that is none";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed) << e.what();
    EXPECT_NE(std::string(e.what()).find("e2fsck"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dirs.state / "vms" / vm_id));
}

// This host's kernel has no device-mapper: the snapshot path gets as far as
// its loop devices, then must take everything back.
TEST_F(RootDiskTest, ASnapshotThatCannotBeMadeLeavesNoLoopDeviceNoRecordNoFile) {
  if (disks::device_mapper_unavailable().empty()) GTEST_SKIP() << "this kernel has device-mapper";
  Dirs dirs(scratch.path());
  testing::make_ext4_with_data(dirs.image(), 32, 1);
  disks::RootDisks disks(dirs.state, dirs.runtime);
  EXPECT_NE(disks.best_strategy(), RootDiskStrategy::dm_snapshot);
  try {
    disks.create(vm_id, dirs.image(), 64, RootDiskStrategy::dm_snapshot);  // grown: the stack goes up at create
    FAIL() << "made a snapshot without device-mapper";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
    EXPECT_NE(std::string(e.what()).find("mapper"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(testing::loop_devices_under(scratch.path()).empty());
  EXPECT_FALSE(fs::exists(disks::root_disk_devices_file(dirs.runtime, vm_id)));
  EXPECT_TRUE(fs::is_empty(dirs.state / "vms" / vm_id));
}

TEST_F(RootDiskTest, RecoveryReleasesTheDevicesOfVmsThatNoLongerRun) {
  Dirs dirs(scratch.path());
  const std::string running = "11111111111111111111111111111111";
  const std::string stopped = vm_id;
  testing::make_ext4_with_data(dirs.image(), 16, 1);
  auto device_set = [&](const std::string& id) {
    fs::create_directories(dirs.state / "vms" / id);
    fs::create_directories(dirs.runtime / "vms" / id);
    const fs::path cow = dirs.state / "vms" / id / "rootfs.cow";
    std::ofstream(cow).flush();
    fs::resize_file(cow, 4 << 20);
    disks::RootDiskDevices devices;
    devices.loops.push_back({disks::attach_loop(dirs.image(), {.read_only = true}).number, dirs.image()});
    devices.loops.push_back({disks::attach_loop(cow).number, cow});
    disks::write_root_disk_devices(disks::root_disk_devices_file(dirs.runtime, id), devices);
    return devices;
  };
  const auto kept = device_set(running);
  const auto stale = device_set(stopped);
  // One a crash left unrecorded: attached, then bangerd died before writing disk.json.
  const int unrecorded = disks::attach_loop(dirs.state / "vms" / stopped / "rootfs.cow").number;

  disks::RootDisks disks(dirs.state, dirs.runtime);
  EXPECT_EQ(disks.recover({running}), 3);
  for (const auto& loop : stale.loops) EXPECT_FALSE(disks::loop_backing_file(loop.number)) << loop.number;
  EXPECT_FALSE(disks::loop_backing_file(unrecorded));
  EXPECT_FALSE(fs::exists(disks::root_disk_devices_file(dirs.runtime, stopped)));
  for (const auto& loop : kept.loops) EXPECT_EQ(disks::loop_backing_file(loop.number), loop.file);
  EXPECT_TRUE(fs::exists(disks::root_disk_devices_file(dirs.runtime, running)));

  disks.deactivate(running);  // the running VM stops
  EXPECT_TRUE(testing::loop_devices_under(scratch.path()).empty());
  EXPECT_FALSE(fs::exists(disks::root_disk_devices_file(dirs.runtime, running)));
}

}  // namespace
}  // namespace banger
