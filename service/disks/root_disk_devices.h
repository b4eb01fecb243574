#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace banger::disks {

// The host devices a VM's root disk holds while it runs (dm-snapshot only):
// recorded in <runtime>/vms/<id>/disk.json, written atomically before each
// device is made and after each loop device is attached, so a bangerd that
// crashed halfway finds and releases them.
struct RootDiskDevices {
  struct Loop {
    int number = -1;
    std::filesystem::path file;
    bool operator==(const Loop&) const = default;
  };
  std::vector<std::string> dm_names;  // removed in this order, before the loops
  std::vector<Loop> loops;
  bool operator==(const RootDiskDevices&) const = default;
};

std::string to_json(const RootDiskDevices& devices);
// Nothing for text that is not such a record.
std::optional<RootDiskDevices> parse_root_disk_devices(const std::string& text);

std::filesystem::path root_disk_devices_file(const std::filesystem::path& runtime_dir, const std::string& vm_id);
void write_root_disk_devices(const std::filesystem::path& file, const RootDiskDevices& devices);
// Nothing when the file is missing or unreadable (logged).
std::optional<RootDiskDevices> read_root_disk_devices(const std::filesystem::path& file);

// Removes the device-mapper devices, then detaches the loop devices that
// still serve their recorded file. Returns false (logged) when one could
// not be released. Never throws.
bool release(const RootDiskDevices& devices) noexcept;

}  // namespace banger::disks
