#include "vmm/qemu/host_tsc.h"

#include <cstdlib>
#include <fstream>
#include <string>

namespace banger {

std::optional<long> host_tsc_khz() {
  long khz = 0;
  if (std::ifstream("/sys/devices/system/cpu/cpu0/tsc_freq_khz") >> khz && khz > 0) return khz;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) break;
    double mhz = std::strtod(line.c_str() + colon + 1, nullptr);
    if (mhz > 0) return static_cast<long>(mhz * 1000);
    break;
  }
  return std::nullopt;
}

}  // namespace banger
