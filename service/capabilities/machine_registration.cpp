#include "capabilities/machine_registration.h"

#include "core/log.h"

namespace banger {

void MachineRegistration::register_vm(const VmRecord& vm) {
  const auto leader = deps_.leader_of(vm.id);
  if (!leader) {
    log::warn("VM '{}': no VMM pid, not registered with machined", vm.name);
    return;
  }
  MachineEntry machine{vm.name, vm.id, *leader, deps_.ifindices_of(vm),
                       deps_.in_own_cgroup && deps_.in_own_cgroup(*leader)};
  {
    std::lock_guard hold(mutex_);
    registered_[vm.id] = vm.name;
  }
  deps_.post([this, machine] {
    try {
      deps_.registry.register_machine(machine);
    } catch (const std::exception& e) {
      log::info("VM '{}' not registered with machined: {}", machine.name, e.what());
    }
  });
}

void MachineRegistration::unregister_vm(const std::string& vm_id) {
  std::string name;
  {
    std::lock_guard hold(mutex_);
    auto it = registered_.find(vm_id);
    if (it == registered_.end()) return;  // never registered (machined forgot it with its VMM)
    name = std::move(it->second);
    registered_.erase(it);
  }
  deps_.post([this, name] {
    try {
      deps_.registry.unregister_machine(name);
    } catch (const std::exception& e) {
      log::info("machine '{}' not unregistered from machined: {}", name, e.what());
    }
  });
}

void MachineRegistration::post_start(const VmRecord& vm) { register_vm(vm); }

void MachineRegistration::cleanup(const VmRecord& vm, CleanupReason) noexcept {
  try {
    unregister_vm(vm.id);
  } catch (const std::exception& e) {
    log::warn("VM '{}': {}", vm.name, e.what());
  }
}

void MachineRegistration::apply_config_change(const VmRecord& before, const VmRecord& after) {
  if (before.name == after.name) return;
  {
    std::lock_guard hold(mutex_);
    if (!registered_.count(after.id)) return;
  }
  // machined cannot rename a machine: the old entry goes, the new one comes.
  unregister_vm(before.id);
  register_vm(after);
}

void MachineRegistration::register_running(const std::vector<VmRecord>& vms) {
  for (const auto& vm : vms)
    if (holds_vmm_resources(vm.state)) register_vm(vm);
}

std::map<std::string, std::string> MachineRegistration::registered() const {
  std::lock_guard hold(mutex_);
  return registered_;
}

void MachineRegistration::add_doctor_checks(std::vector<DoctorCheck>& checks) {
  const auto why = deps_.registry.unavailable();
  if (why.empty())
    checks.push_back({"machined", "ok", "systemd-machined lists running VMs (machinectl list)", "", ""});
  else
    checks.push_back({"machined", "warn", "running VMs are not registered with systemd-machined", why,
                      "optional: install and start systemd-machined (package systemd-container)"});
}

}  // namespace banger
