#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace banger::disks {

// Device-mapper through its ioctls (<linux/dm-ioctl.h>), no libdevmapper: a
// VM's root disk as a `snapshot` of its image. The stack per VM:
//   banger-<id>-origin   linear over the image's read-only loop device, then
//                        `zero` up to the disk's size (a disk grown past its image)
//   banger-<id>          snapshot of the origin, writes going to a persistent
//                        COW file (<state>/vms/<id>/rootfs.cow) on a loop device
// No udev is assumed: the /dev/mapper nodes are made and removed here.

constexpr std::uint64_t sector_bytes = 512;

// One line of a device-mapper table.
struct DmTarget {
  std::uint64_t start = 0;   // sectors
  std::uint64_t length = 0;  // sectors
  std::string type;
  std::string params;
  bool operator==(const DmTarget&) const = default;
};

// The origin's table: `image_sectors` of the image device ("major:minor"),
// then zeros up to `disk_sectors`.
std::vector<DmTarget> origin_table(const std::string& image_device, std::uint64_t image_sectors,
                                   std::uint64_t disk_sectors);
// The snapshot's one target: persistent (P) exceptions in 4 KiB chunks.
DmTarget snapshot_target(const std::string& origin_device, const std::string& cow_device, std::uint64_t sectors);

// The argument of one DM_* ioctl: struct dm_ioctl naming `name`, then each
// target (struct dm_target_spec, its NUL-terminated parameters, padded to 8
// bytes), then `room` spare bytes for the kernel's answer.
std::vector<std::uint8_t> dm_ioctl_buffer(const std::string& name, std::uint32_t flags,
                                          const std::vector<DmTarget>& targets = {}, std::size_t room = 0);

std::string dm_device_name(const std::string& vm_id);
std::string dm_origin_name(const std::string& vm_id);
std::filesystem::path dm_device_path(const std::string& name);  // /dev/mapper/<name>

// Empty when /dev/mapper/control opens and answers DM_VERSION; else why not.
std::string device_mapper_unavailable();

// Creates device `name` with `targets`, activates it and makes its node;
// returns its "major:minor". A failure removes what was made. Throws
// Error(backend_failed).
std::string dm_create(const std::string& name, const std::vector<DmTarget>& targets, bool read_only);
// Removes the device and its node; false when there was none. Throws Error(backend_failed).
bool dm_remove(const std::string& name);
// The names of every device-mapper device.
std::vector<std::string> dm_list();

}  // namespace banger::disks
