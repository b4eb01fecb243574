#pragma once
#include <filesystem>

#include "core/machine_config.h"

namespace banger::doctor {

// Whether the kernel has Linux bridges (each network is one), read-only:
// the bridge module is loaded or built in (<sys_module>/bridge), or it can be
// loaded (<kernel_modules>/kernel/net/bridge/bridge.ko*).
DoctorCheck bridge_check(const std::filesystem::path& sys_module, const std::filesystem::path& kernel_modules);

// /lib/modules/<running kernel's release>
std::filesystem::path running_kernel_modules();

}  // namespace banger::doctor
