#include "doctor/group_check.h"

#include <fstream>

#include <fmt/format.h>

namespace banger::doctor {

DoctorCheck group_check(const std::filesystem::path& group_file, const std::string& group) {
  std::ifstream in(group_file);
  if (!in)
    return {"group", "warn", fmt::format("cannot read {}", group_file.string()), "", ""};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(group + ":", 0) != 0) continue;
    // name:password:gid:members
    const auto members = line.substr(line.rfind(':') + 1);
    return {"group", "ok", fmt::format("group {} exists", group),
            members.empty() ? "no members yet" : fmt::format("members: {}", members), ""};
  }
  return {"group", "warn", fmt::format("there is no group {}: only root and admins manage VMs", group),
          fmt::format("{} has no '{}' entry", group_file.string(), group),
          fmt::format("systemd-sysusers (banger.sysusers), or groupadd --system {}; then usermod -a -G {} USER",
                      group, group)};
}

}  // namespace banger::doctor
