// VmManager's start: the machine a VM runs as, and the start itself (its one
// retry when the backend falls back, e.g. QEMU from KVM to TCG).
#include <fmt/format.h>

#include "core/errors.h"
#include "core/fault_points.h"
#include "core/log.h"
#include "core/state_machine.h"
#include "core/vm_manager.h"

namespace banger {

namespace {

// The default image's init reads banger.<key>=<value> from /proc/cmdline.
void append_guest_args(const GuestConfig& guest, MachineConfig& machine) {
  for (const auto& [key, value] : guest.values) {
    if (value.find_first_of(" \t\n\"") != std::string::npos)
      throw Error(ErrorKind::internal, fmt::format("internal: guest setting '{}' holds a blank or quote", key));
    machine.kernel_args.push_back(fmt::format("banger.{}={}", key, value));
  }
}

}  // namespace

MachineConfig VmManager::machine_for(const VmRecord& vm) const {
  MachineConfig machine;
  machine.vm_id = vm.id;
  machine.vm_name = vm.name;
  machine.vcpus = vm.vcpus;
  machine.memory_mib = vm.memory_mib;
  machine.runtime_dir = settings_.runtime_dir / "vms" / vm.id;
  return machine;
}

VmRecord VmManager::start(const std::string& id, StartOptions options) {
  auto [guard, vm] = lock(id);
  require_allowed(Verb::start, vm.state, vm.name);
  return start_locked(std::move(vm), options);
}

VmRecord VmManager::start_locked(VmRecord vm, StartOptions options) {
  deps_.capabilities.run_preflight(vm);  // refusing here changes nothing
  VmmBackend& backend = backend_of(vm);
  std::string handles = handles_.get(vm.id);
  if (!handles.empty()) {
    // A VM that failed to stop may still have its old VMM; never launch a second one beside it.
    backend.kill(handles);
    forget_vmm(vm.id);
    handles.clear();
  }
  // What LastError keeps through the start: why a saved state was not used.
  std::string notice;
  const bool was_suspended = vm.state == VmState::suspended;
  std::optional<SavedStateManifest> restore;
  if (was_suspended) restore = loadable_saved_state(vm, options.fresh, notice);
  commit_state(vm, VmState::starting, restore ? "restore requested" : "start requested", notice);
  BANGER_FAULT_POINT("start.state-starting");
  // A second attempt only when the VMM died and its backend will launch the
  // next one differently (fall_back_after_failed_start).
  for (bool first_attempt = true;; first_attempt = false) {
    bool host_prepared = false;
    // A restore that fails before the VMM loaded the state leaves it as it was,
    // unless the VMM refused it (SavedStateRefused).
    bool state_loaded = false;
    try {
      deps_.capabilities.prepare_host(vm);
      host_prepared = true;
      GuestConfig guest;
      MachineConfig machine = machine_for(vm);
      deps_.capabilities.contribute(vm, guest, machine);
      append_guest_args(guest, machine);
      if (restore) machine.restore_from = saved_.files(vm.id);
      BANGER_FAULT_POINT("start.before-vmm-spawn");
      handles = backend.launch(machine);
      BANGER_FAULT_POINT("start.vmm-spawned");
      handles_.put(vm.id, vm.backend, handles);  // before anything else can fail: a crash now must still find the VMM
      BANGER_FAULT_POINT("start.handles-written");
      watch(vm.id, handles);
      backend.configure(handles, machine);
      if (restore) {
        BANGER_FAULT_POINT("restore.state-loaded");
        // From the first instruction the guest runs, its disks move on from the
        // saved state, which could then never be loaded again: it goes now.
        saved_.drop(vm.id);
        state_loaded = true;
      }
      BANGER_FAULT_POINT("start.vmm-configured");
      backend.start(handles);
      BANGER_FAULT_POINT("start.vmm-booted");
      deps_.capabilities.post_start(vm);
      BANGER_FAULT_POINT("start.before-state-commit");
      commit_state(vm, VmState::running, restore ? "restored from its saved state" : "started", notice);
      // The guest's clock stood still from the suspend until now.
      if (restore) set_guest_clock(vm);
      return vm;
    } catch (...) {
      auto error = as_domain_error(std::current_exception());
      bool refused = false;
      try {
        throw;
      } catch (const SavedStateRefused&) {
        refused = true;
      } catch (...) {
      }
      bool retry = false;
      if (!handles.empty()) {
        // A VMM that died under the start is the cause, whatever step noticed it
        // (the watcher notes it within milliseconds; a live VMM costs this wait).
        if (auto how = exit_noted(vm.id, handles, std::chrono::milliseconds(250))) {
          error = Error(error.kind(), fmt::format("{} while the VM was starting: {}", *how, error.what()));
          // A restore loads only into the VMM it was saved from: no fallback.
          retry = first_attempt && !restore && backend.fall_back_after_failed_start(handles);
        }
        try {
          backend.kill(handles);
        } catch (const std::exception& e) {
          log::warn("VM '{}': could not kill the VMM after a failed start: {}", vm.name, e.what());
        }
        forget_vmm(vm.id);
        handles.clear();
      }
      if (restore && !state_loaded && !refused) {
        // Nothing touched the saved state (a tap, the VMM's launch failed): still suspended, try again.
        if (host_prepared) deps_.capabilities.cleanup(vm, CleanupReason::suspended);
        commit_state(vm, VmState::suspended, error.what(), error.what());
        throw error;
      }
      if (host_prepared) deps_.capabilities.cleanup(vm, CleanupReason::start_failed);
      if (retry) {
        log::warn("VM '{}': {}; starting it once more on the {} backend's fallback", vm.name, error.what(),
                  backend.name());
        continue;
      }
      if (restore && refused) {
        saved_.drop(vm.id);
        error = Error(error.kind(), fmt::format("{}; the saved state was dropped, and the next Start boots the VM afresh",
                                                error.what()));
      }
      commit_state(vm, VmState::failed, error.what(), error.what());
      throw error;
    }
  }
}

}  // namespace banger
