// VM.Suspend and the restore half of Start (issue 19): the guest's memory and
// device state go to disk (SavedStates) and its VMM ends; Start loads them into
// a new VMM. A saved state exists exactly while its VM is suspended, and its
// manifest is the commit point: written once the VMM has saved everything, gone
// before a restored guest runs its first instruction (its disks then move on).
#include <fmt/format.h>

#include "core/errors.h"
#include "core/fault_points.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/state_machine.h"
#include "core/vm_manager.h"

namespace banger {

namespace {

std::string mib(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }

}  // namespace

SavedStateManifest VmManager::manifest_for(const VmRecord& vm, const MachineConfig& machine) const {
  SavedStateManifest m;
  m.backend = vm.backend;
  m.format = backend_of(vm).saved_state_format(machine);
  m.vcpus = vm.vcpus;
  m.memory_mib = vm.memory_mib;
  m.image = vm.image;
  return m;
}

SavedStateManifest VmManager::running_manifest(const VmRecord& vm) {
  GuestConfig guest;
  MachineConfig machine = machine_for(vm);
  deps_.capabilities.contribute(vm, guest, machine);
  return manifest_for(vm, machine);
}

VmRecord VmManager::suspend(const std::string& id, std::optional<std::chrono::milliseconds> lock_wait,
                            std::string note) {
  auto [guard, vm] = lock(id, lock_wait);
  require_allowed(Verb::suspend, vm.state, vm.name);
  VmmBackend& backend = backend_of(vm);
  SavedStateManifest manifest = running_manifest(vm);
  if (manifest.format.empty())
    throw Error(ErrorKind::not_supported,
                fmt::format("VM '{}' runs on the {} backend, which cannot save a VM's state", vm.name, vm.backend));
  const auto handles = handles_.get(vm.id);
  if (handles.empty()) throw Error(ErrorKind::backend_failed, fmt::format("VM '{}' has no VMM handles", vm.name));
  {
    // The saved state takes disk (up to the guest's memory): [quotas] max_disk_mib counts it.
    VmRecord as_suspended = vm;
    as_suspended.state = VmState::suspended;
    std::lock_guard serialise(create_mutex_);
    enforce_quota(settings_.quota, deps_.store.list_vms(), &vm, as_suspended, deps_.disks);
  }

  const bool was_running = vm.state == VmState::running;
  if (was_running) pause_vmm_locked(vm, handles);
  try {
    const auto dir = saved_.begin(vm.id);
    BANGER_FAULT_POINT("suspend.before-save");
    manifest.bytes = backend.save_state(handles, dir);
    manifest.saved_at_us = now_us();
    BANGER_FAULT_POINT("suspend.before-manifest");
    saved_.commit(vm.id, manifest);
  } catch (...) {
    saved_.drop(vm.id);
    // Back as it was: the VMM still holds the guest.
    if (was_running) {
      try {
        resume_vmm_locked(vm, handles);
      } catch (const std::exception& e) {
        log::error("VM '{}': the save failed and its VMM would not run again: {}", vm.name, e.what());
      }
    }
    throw;
  }
  BANGER_FAULT_POINT("suspend.state-saved");
  try {
    backend.kill(handles);
    forget_vmm(vm.id);
  } catch (const std::exception& e) {
    // The state is saved; the VMM (paused) keeps its handles, so that Start ends it before the restore.
    log::warn("VM '{}': could not end its VMM after saving its state: {}", vm.name, e.what());
  }
  BANGER_FAULT_POINT("suspend.vmm-ended");
  deps_.capabilities.cleanup(vm, CleanupReason::suspended);
  commit_state(vm, VmState::suspended, fmt::format("suspended ({} saved)", mib(manifest.bytes)), std::move(note));
  return vm;
}

std::optional<SavedStateManifest> VmManager::loadable_saved_state(const VmRecord& vm, bool fresh,
                                                                  std::string& notice) {
  auto saved = saved_.find(vm.id);
  if (fresh) {
    saved_.drop(vm.id);
    return std::nullopt;
  }
  if (!saved) {
    notice = "its saved state is gone; the VM booted afresh";
    saved_.drop(vm.id);
    return std::nullopt;
  }
  GuestConfig guest;
  MachineConfig machine = machine_for(vm);
  try {
    deps_.capabilities.contribute(vm, guest, machine);
  } catch (const std::exception& e) {
    // Not the state's fault (the image's files, say): the start fails on it by itself.
    return saved;
  }
  if (auto why = why_not_loadable(*saved, manifest_for(vm, machine)); !why.empty()) {
    notice = fmt::format("its saved state was dropped: {}; the VM booted afresh", why);
    log::warn("VM '{}': {}", vm.name, notice);
    saved_.drop(vm.id);
    return std::nullopt;
  }
  return saved;
}

void VmManager::set_guest_clock(const VmRecord& vm) noexcept {
  if (deps_.clock == nullptr) return;
  try {
    std::lock_guard hold(clock_sets_mutex_);
    std::erase_if(clock_sets_, [](const std::future<void>& f) {
      return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    });
    clock_sets_.push_back(std::async(std::launch::async, [clock = deps_.clock, vm] {
      try {
        clock->set(vm, std::chrono::system_clock::now());
      } catch (const std::exception& e) {
        log::warn("VM '{}': guest clock not set after the restore: {}", vm.name, e.what());
      }
    }));
  } catch (const std::exception& e) {
    log::warn("VM '{}': guest clock not set after the restore: {}", vm.name, e.what());
  }
}

void VmManager::settle_saved_state(VmRecord& vm, const std::string& handles, bool vmm_alive) {
  // The saved state counts: the VMM (paused since the save, or loading it) must never run on.
  if (vmm_alive && !end_vmm_or_log(vm, handles, "the VMM of its saved state")) return;
  forget_vmm(vm.id);
  deps_.capabilities.cleanup(vm, CleanupReason::suspended);
  log::warn("VM '{}' was {} with its state saved when bangerd stopped; it is suspended", vm.name, to_string(vm.state));
  commit_state(vm, VmState::suspended, "suspended (bangerd restarted)");
}

void VmManager::drop_stray_saved_states() {
  for (const auto& id : saved_.ids()) {
    auto vm = deps_.store.find_vm(id);
    if (vm && vm->state == VmState::suspended) continue;
    log::info("dropping the saved state of {} '{}': it is not suspended", vm ? "VM" : "the deleted VM",
              vm ? vm->name : id);
    saved_.drop(id);
  }
}

}  // namespace banger
