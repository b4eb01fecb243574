#pragma once
#include <filesystem>
#include <string>

#include "core/machine_config.h"

namespace banger::doctor {

// Whether the group `banger` exists in `group_file` (/etc/group): polkit's
// rules let its members manage VMs without a password.
DoctorCheck group_check(const std::filesystem::path& group_file, const std::string& group = "banger");

}  // namespace banger::doctor
