#include "doctor/bridge_check.h"

#include <sys/utsname.h>

#include <fmt/format.h>

namespace banger::doctor {

namespace fs = std::filesystem;

DoctorCheck bridge_check(const fs::path& sys_module, const fs::path& kernel_modules) {
  std::error_code ec;
  if (fs::is_directory(sys_module / "bridge", ec))
    return {"bridge", "ok", "the kernel has Linux bridges", (sys_module / "bridge").string(), ""};
  const auto dir = kernel_modules / "kernel" / "net" / "bridge";
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename().string().rfind("bridge.ko", 0) == 0)
      return {"bridge", "ok", "the bridge module is installed (loaded when the first network is made)",
              entry.path().string(), ""};
  return {"bridge", "fail", "the kernel has no bridge support: networks cannot be made",
          fmt::format("neither {} nor a bridge.ko in {}", (sys_module / "bridge").string(), dir.string()),
          "install the kernel's modules (linux-image-*) or build the kernel with CONFIG_BRIDGE"};
}

fs::path running_kernel_modules() {
  utsname name{};
  uname(&name);
  return fs::path("/lib/modules") / name.release;
}

}  // namespace banger::doctor
