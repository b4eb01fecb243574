#include "fault_capability.h"

#include <chrono>
#include <thread>

#include "core/errors.h"
#include "fault_file.h"

namespace banger::testing {

void FaultCapability::provision(VmRecord& vm, ProgressSink& progress) {
  if (auto delay = fault("provision-delay-ms")) {
    int total = std::stoi(*delay);
    for (int step = 1; step <= 4; ++step) {
      std::this_thread::sleep_for(std::chrono::milliseconds(total / 4));
      progress.report("provisioning (test delay)", 0.1 + 0.2 * step);
    }
  }
  if (fault("provision")) throw Error(ErrorKind::backend_failed, "test: injected provision failure for " + vm.name);
}

}  // namespace banger::testing
