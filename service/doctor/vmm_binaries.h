#pragma once
#include <filesystem>
#include <string>

#include "core/machine_config.h"

namespace banger::doctor {

// "<name>-version": what `binary --version` says. Whether the binary is there
// at all is the "<backend>-vmm" check's business; here a missing one is
// `missing_status` (warn for an optional binary) and a binary that does not
// answer --version properly fails: it cannot be the VMM it claims to be.
DoctorCheck version_check(const std::string& name, const std::filesystem::path& binary,
                          const std::string& missing_status);

// The jailer is optional: not configured is fine, configured must work.
DoctorCheck jailer_check(const std::filesystem::path& jailer);

}  // namespace banger::doctor
