#include "core/fault_points.h"

#if BANGER_FAULT_POINTS
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace banger::fault {

namespace {

struct Target {
  std::string name;  // empty: no fault asked for
  long hit = 1;      // the hit that kills, counted from 1
};

// "name" or "name@N"; read once, since the environment does not change.
Target target_from_environment() {
  const char* spec = std::getenv("BANGER_FAULT_KILL_AT");
  Target target;
  if (spec == nullptr) return target;
  target.name = spec;
  if (auto at = target.name.rfind('@'); at != std::string::npos) {
    target.hit = std::strtol(target.name.c_str() + at + 1, nullptr, 10);
    target.name.erase(at);
  }
  return target;
}

}  // namespace

void reached(std::string_view name) noexcept {
  static const Target target = target_from_environment();
  static std::atomic<long> hits{0};
  if (target.name.empty() || name != target.name) return;
  if (hits.fetch_add(1) + 1 != target.hit) return;
  // write(2), not the logger: nothing buffered may stand between this line and the kill.
  const std::string line = "bangerd: fault point " + std::string(name) + " hit\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  ::raise(SIGKILL);
}

}  // namespace banger::fault
#endif
