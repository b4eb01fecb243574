// VM.Pause and VM.Resume: the VMM stays, its vCPUs stop. A paused VM keeps its
// tap, lease, DNS name, forwards and machined entry (holds_vmm_resources); only
// what talks to the guest lets go meanwhile (Capability::before_pause).
#include <fmt/format.h>

#include "core/errors.h"
#include "core/state_machine.h"
#include "core/vm_manager.h"

namespace banger {

namespace {

std::string vmm_handles_or_throw(VmmHandles& handles, const VmRecord& vm) {
  auto found = handles.get(vm.id);
  if (found.empty()) throw Error(ErrorKind::backend_failed, fmt::format("VM '{}' has no VMM handles", vm.name));
  return found;
}

}  // namespace

VmRecord VmManager::pause(const std::string& id) {
  auto [guard, vm] = lock(id);
  require_allowed(Verb::pause, vm.state, vm.name);
  pause_vmm_locked(vm, vmm_handles_or_throw(handles_, vm));
  commit_state(vm, VmState::paused, "paused");
  return vm;
}

void VmManager::pause_vmm_locked(const VmRecord& vm, const std::string& handles) {
  deps_.capabilities.before_pause(vm);
  try {
    backend_of(vm).pause(handles);
  } catch (...) {
    // Still running: what let go of the guest takes it up again.
    deps_.capabilities.after_resume(vm);
    throw;
  }
}

VmRecord VmManager::resume(const std::string& id) {
  auto [guard, vm] = lock(id);
  require_allowed(Verb::resume, vm.state, vm.name);
  resume_vmm_locked(vm, vmm_handles_or_throw(handles_, vm));
  commit_state(vm, VmState::running, "resumed");
  return vm;
}

void VmManager::resume_vmm_locked(const VmRecord& vm, const std::string& handles) {
  backend_of(vm).resume(handles);
  deps_.capabilities.after_resume(vm);
}

}  // namespace banger
