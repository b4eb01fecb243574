#pragma once
#include <cstdint>
#include <filesystem>

#include "core/machine_config.h"

namespace banger::doctor {

struct DiskThresholds {
  std::uint64_t warn_mib = 10240;  // less free than this: warn
  std::uint64_t fail_mib = 1024;   // less free than this: fail
};

// Free space (for bangerd, root) in the file system holding `dir`.
DoctorCheck disk_space_check(const std::filesystem::path& dir, const DiskThresholds& thresholds);

}  // namespace banger::doctor
