// The device-mapper path's table text, ioctl arguments and device records:
// this project's kernels have no device-mapper, so what the kernel would be
// given is checked here, against <linux/dm-ioctl.h>'s own layout.
#include <gtest/gtest.h>
#include <linux/dm-ioctl.h>

#include <cstring>

#include "core/errors.h"
#include "disks/dm_snapshot.h"
#include "disks/root_disk.h"
#include "disks/root_disk_devices.h"

namespace banger {
namespace {

using disks::DmTarget;

TEST(DmSnapshot, OriginIsTheImageThenZerosUpToTheDiskSize) {
  EXPECT_EQ(disks::origin_table("7:3", 2048, 2048), (std::vector<DmTarget>{{0, 2048, "linear", "7:3 0"}}));
  EXPECT_EQ(disks::origin_table("7:3", 2048, 6144),
            (std::vector<DmTarget>{{0, 2048, "linear", "7:3 0"}, {2048, 4096, "zero", ""}}));
}

TEST(DmSnapshot, SnapshotIsPersistentInFourKibChunks) {
  EXPECT_EQ(disks::snapshot_target("253:0", "7:4", 6144), (DmTarget{0, 6144, "snapshot", "253:0 7:4 P 8"}));
}

TEST(DmSnapshot, NamesAndNodesFollowTheVmId) {
  EXPECT_EQ(disks::dm_device_name("abc"), "banger-abc");
  EXPECT_EQ(disks::dm_origin_name("abc"), "banger-abc-origin");
  EXPECT_EQ(disks::dm_device_path("banger-abc"), "/dev/mapper/banger-abc");
}

TEST(DmSnapshot, IoctlBufferLaysOutHeaderTargetsAndParameters) {
  const auto table = disks::origin_table("7:3", 2048, 6144);
  auto buffer = disks::dm_ioctl_buffer("banger-abc-origin", DM_READONLY_FLAG, table);
  ASSERT_GE(buffer.size(), sizeof(dm_ioctl));
  const auto* io = reinterpret_cast<const dm_ioctl*>(buffer.data());
  EXPECT_EQ(io->version[0], static_cast<__u32>(DM_VERSION_MAJOR));
  EXPECT_EQ(io->data_size, buffer.size());
  EXPECT_EQ(io->data_start % 8, 0u);
  EXPECT_GE(io->data_start, sizeof(dm_ioctl));
  EXPECT_EQ(io->target_count, 2u);
  EXPECT_EQ(io->flags, static_cast<__u32>(DM_READONLY_FLAG));
  EXPECT_STREQ(io->name, "banger-abc-origin");

  // Walk the targets as the kernel does: each `next` is relative to its own spec.
  std::size_t offset = io->data_start;
  for (const auto& expected : table) {
    ASSERT_LE(offset + sizeof(dm_target_spec), buffer.size());
    const auto* spec = reinterpret_cast<const dm_target_spec*>(buffer.data() + offset);
    EXPECT_EQ(spec->sector_start, expected.start);
    EXPECT_EQ(spec->length, expected.length);
    EXPECT_STREQ(spec->target_type, expected.type.c_str());
    const char* params = reinterpret_cast<const char*>(buffer.data() + offset + sizeof(dm_target_spec));
    EXPECT_STREQ(params, expected.params.c_str());
    EXPECT_EQ(spec->next % 8, 0u);
    EXPECT_GT(spec->next, sizeof(dm_target_spec) + expected.params.size());
    offset += spec->next;
  }
  EXPECT_EQ(offset, buffer.size()) << "no room asked for, none given";
}

TEST(DmSnapshot, IoctlBufferWithoutTargetsLeavesRoomForTheAnswer) {
  auto buffer = disks::dm_ioctl_buffer("banger-abc", 0, {}, 100);
  const auto* io = reinterpret_cast<const dm_ioctl*>(buffer.data());
  EXPECT_EQ(io->target_count, 0u);
  EXPECT_GE(io->data_size, io->data_start + 100);
  EXPECT_EQ(io->data_size, buffer.size());
}

TEST(DmSnapshot, IoctlBufferRefusesNamesTheKernelCannotTake) {
  EXPECT_THROW(disks::dm_ioctl_buffer("", 0), Error);
  EXPECT_THROW(disks::dm_ioctl_buffer(std::string(DM_NAME_LEN, 'x'), 0), Error);
  EXPECT_NO_THROW(disks::dm_ioctl_buffer(std::string(DM_NAME_LEN - 1, 'x'), 0));
}

TEST(RootDiskDevices, RecordRoundTripsAndRejectsOtherText) {
  disks::RootDiskDevices devices;
  devices.dm_names = {"banger-abc", "banger-abc-origin"};
  devices.loops = {{3, "/var/lib/banger/images/i/rootfs.ext4"}, {4, "/var/lib/banger/vms/abc/rootfs.cow"}};
  EXPECT_EQ(disks::parse_root_disk_devices(disks::to_json(devices)), devices);
  EXPECT_EQ(disks::parse_root_disk_devices(disks::to_json({})), disks::RootDiskDevices{});
  EXPECT_FALSE(disks::parse_root_disk_devices("not json"));
  EXPECT_FALSE(disks::parse_root_disk_devices(R"({"dm": "banger-abc", "loops": []})"));
  EXPECT_FALSE(disks::parse_root_disk_devices(R"({"dm": [], "loops": [{"number": "3", "file": "/x"}]})"));
  EXPECT_EQ(disks::root_disk_devices_file("/run/banger", "abc"), "/run/banger/vms/abc/disk.json");
}

TEST(RootDiskStrategy, NamesRoundTrip) {
  for (auto s : {disks::RootDiskStrategy::reflink, disks::RootDiskStrategy::dm_snapshot, disks::RootDiskStrategy::copy})
    EXPECT_EQ(disks::parse_root_disk_strategy(disks::to_string(s)), s);
  EXPECT_EQ(disks::to_string(disks::RootDiskStrategy::dm_snapshot), "dm-snapshot");
  EXPECT_FALSE(disks::parse_root_disk_strategy("snapshot"));
  EXPECT_FALSE(disks::parse_root_disk_strategy(""));
}

}  // namespace
}  // namespace banger
