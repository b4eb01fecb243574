#include "core/poweroff_requests.h"

#include "core/log.h"

namespace banger {

void PoweroffRequests::poll() {
  std::lock_guard hold(mutex_);
  std::set<std::string> running;
  for (const auto& vm : deps_.list()) {
    if (vm.state != VmState::running) continue;
    running.insert(vm.id);
    if (asked_.count(vm.id)) continue;
    const auto pid = deps_.vmm_pid(vm.id);
    if (!pid || !deps_.poweroff_pending(*pid)) continue;
    log::info("VM '{}': poweroff requested through machined (SIGRTMIN+4 to its VMM), stopping it", vm.name);
    asked_.insert(vm.id);
    deps_.stop(vm);
  }
  // A VM that stopped and starts again gets a new VMM and may be powered off again.
  std::erase_if(asked_, [&](const std::string& id) { return !running.count(id); });
}

}  // namespace banger
