#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "core/unique_fd.h"

namespace banger::disks {

// Loop devices: a regular file seen as a block device (/dev/loopN).

struct LoopOptions {
  bool read_only = false;
  // The kernel detaches the device when its last user closes it, so a device
  // that is only mounted (or held by device-mapper) cannot outlive its user.
  bool autoclear = false;
};

struct LoopDevice {
  int number = -1;
  // Open on the device: with autoclear, closing it (with no other user) detaches it.
  UniqueFd fd;

  std::filesystem::path path() const { return "/dev/loop" + std::to_string(number); }
};

// Attaches `file` to a free loop device (LOOP_CTL_GET_FREE, LOOP_CONFIGURE),
// making /dev/loopN when no udev did. Throws Error(backend_failed).
LoopDevice attach_loop(const std::filesystem::path& file, LoopOptions options = {});

// The file attached to /dev/loop<number>, or nothing when it has none.
std::optional<std::filesystem::path> loop_backing_file(int number);

// "major:minor" of /dev/loop<number>, as device-mapper tables name devices.
std::string loop_device_numbers(int number);

// Detaches /dev/loop<number> (LOOP_CLR_FD) when `file` is still what it
// serves; a device already free or serving another file is left alone.
// Returns whether it detached. Throws Error(backend_failed).
bool detach_loop(int number, const std::filesystem::path& file);

}  // namespace banger::disks
