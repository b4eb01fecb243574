// VmManager's part in host sleep and shutdown (core/host_power.h).
#include <fmt/format.h>

#include <algorithm>

#include "core/errors.h"
#include "core/state_machine.h"
#include "core/vm_manager.h"

namespace banger {

void VmManager::pause_vmm(const std::string& id, std::chrono::milliseconds wait) {
  auto [guard, vm] = lock(id, wait);
  if (vm.state != VmState::running)
    throw Error(ErrorKind::invalid_state, fmt::format("VM '{}' is {}, not running", vm.name, to_string(vm.state)));
  const auto handles = handles_.get(vm.id);
  if (handles.empty()) throw Error(ErrorKind::invalid_state, fmt::format("VM '{}' has no VMM", vm.name));
  backend_of(vm).pause(handles);
}

void VmManager::resume_vmm(const std::string& id) {
  auto vm = deps_.store.find_vm(id);
  if (!vm) throw Error(ErrorKind::no_such_vm, fmt::format("VM {} no longer exists", id));
  const auto handles = handles_.get(id);
  if (handles.empty()) throw Error(ErrorKind::invalid_state, fmt::format("VM '{}' has no VMM", vm->name));
  backend_of(*vm).resume(handles);
}

VmRecord VmManager::stop_within(const std::string& id, std::chrono::milliseconds timeout) {
  // Waiting for the VM's lock counts against the same time: logind waits no longer.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto [guard, vm] = lock(id, timeout);
  require_allowed(Verb::stop, vm.state, vm.name);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return stop_locked(std::move(vm), false, "stopped: the host shuts down", std::max(left, std::chrono::milliseconds(0)));
}

}  // namespace banger
