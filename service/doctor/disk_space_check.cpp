#include "doctor/disk_space_check.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace banger::doctor {

DoctorCheck disk_space_check(const std::filesystem::path& dir, const DiskThresholds& thresholds) {
  struct statvfs fs {};
  if (statvfs(dir.c_str(), &fs) != 0)
    return {"disk-space", "fail", fmt::format("cannot read the free space of {}", dir.string()), std::strerror(errno),
            "create the state directory, or fix [daemon] state_dir in bangerd.toml"};
  const std::uint64_t free_mib = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize / (1024 * 1024);
  const std::string detail = fmt::format("{}: {} MiB free (warn below {} MiB, fail below {} MiB)", dir.string(),
                                         free_mib, thresholds.warn_mib, thresholds.fail_mib);
  const std::string fix = "free space there, or move the state directory ([daemon] state_dir) to a larger disk";
  if (free_mib < thresholds.fail_mib)
    return {"disk-space", "fail", fmt::format("only {} MiB free for VM disks and images", free_mib), detail, fix};
  if (free_mib < thresholds.warn_mib)
    return {"disk-space", "warn", fmt::format("{} MiB free for VM disks and images", free_mib), detail, fix};
  return {"disk-space", "ok", fmt::format("{} MiB free for VM disks and images", free_mib), detail, ""};
}

}  // namespace banger::doctor
