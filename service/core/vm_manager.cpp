#include "core/vm_manager.h"

#include <fmt/format.h>

#include <exception>

#include "core/errors.h"
#include "core/utf8.h"
#include "core/fault_points.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/state_machine.h"

namespace banger {

VmManager::VmManager(Deps deps, VmManagerSettings settings)
    : deps_(deps),
      settings_(std::move(settings)),
      handles_(deps_.handles),
      delete_intents_(settings_.intents_dir.empty() ? settings_.runtime_dir / "deleting" : settings_.intents_dir),
      saved_(settings_.saved_states_dir.empty() ? settings_.runtime_dir / "saved-states" : settings_.saved_states_dir) {}

VmmBackend& VmManager::backend_of(const VmRecord& vm) const {
  try {
    return deps_.backends.get(vm.backend);
  } catch (const Error&) {
    throw Error(ErrorKind::backend_failed,
                fmt::format("VM '{}' runs on VMM backend '{}', which this bangerd does not have", vm.name, vm.backend));
  }
}

void VmManager::watch(const std::string& id, const std::string& handles) {
  auto process = handles_.process_in(handles);
  if (deps_.watch == nullptr) return;
  if (!process) {
    log::warn("VM {}: the VMM's handles name no pid; its exit will go unnoticed", id);
    return;
  }
  deps_.watch->watch(id, *process);
}

void VmManager::forget_vmm(const std::string& id) noexcept {
  if (deps_.watch != nullptr) deps_.watch->unwatch(id);
  handles_.erase(id);
}

VmManager::Locked VmManager::lock(const std::string& id, std::optional<std::chrono::milliseconds> timeout,
                                  bool wait_while_creating) {
  // Provisioning holds the lock for as long as it takes; answer at once instead of queueing behind it.
  if (!wait_while_creating) {
    if (auto peek = deps_.store.find_vm(id); peek && peek->state == VmState::creating)
      throw Error(ErrorKind::busy, fmt::format("VM '{}' is still being created", peek->name));
  }
  auto guard = locks_.acquire(id, timeout.value_or(settings_.lock_timeout), fmt::format("VM {}", id.substr(0, 12)));
  auto vm = deps_.store.find_vm(id);
  if (!vm) throw Error(ErrorKind::no_such_vm, fmt::format("VM {} no longer exists", id));
  if (!wait_while_creating && deps_.workspaces != nullptr) deps_.workspaces->refuse_if_claimed(id, vm->name);
  return {std::move(guard), std::move(*vm)};
}

void VmManager::commit_state(VmRecord& vm, VmState to, std::string_view reason, std::string last_error) {
  if (!is_valid_transition(vm.state, to))
    throw Error(ErrorKind::internal,
                fmt::format("internal: VM '{}' cannot go from {} to {}", vm.name, to_string(vm.state), to_string(to)));
  VmRecord before = vm;
  vm.state = to;
  // Also valid UTF-8 when not made from an Error (core/errors.h says why): the record
  // is read back into the VM's properties at every start of bangerd.
  vm.last_error = valid_utf8(last_error);
  vm.updated_at_us = now_us();
  deps_.store.update_vm(vm);
  deps_.events.vm_changed(before, vm, valid_utf8(reason));
}

VmRecord VmManager::begin_create(const CreateSpec& spec, std::uint32_t owner_uid) {
  VmRecord vm;
  vm.id = new_vm_id();
  vm.name = spec.name;
  vm.owner_uid = owner_uid;
  vm.state = VmState::creating;
  vm.vcpus = spec.vcpus;
  vm.memory_mib = spec.memory_mib;
  vm.image = spec.image;
  vm.created_at_us = vm.updated_at_us = now_us();
  vm.backend = spec.backend.empty() ? deps_.backends.default_name() : spec.backend;
  vm.network = spec.network;
  vm.disk_mib = spec.disk_mib;
  vm.work_disk_mib = spec.work_disk_mib;
  vm.keep_work_disk = spec.keep_work_disk;
  vm.forward_ports = spec.forward_ports;
  vm.autostart = spec.autostart;
  vm.idle_suspend_s = spec.idle_suspend_s;
  if (auto why = deps_.backends.get(vm.backend).unavailable(); !why.empty())
    throw Error(ErrorKind::invalid_args, fmt::format("option 'backend': VMM backend '{}' is not available: {}", vm.backend, why));
  deps_.capabilities.check_create(vm);
  insert_new(vm);
  BANGER_FAULT_POINT("create.record-inserted");
  return vm;
}

void VmManager::insert_new(const VmRecord& vm) {
  {
    std::lock_guard serialise(create_mutex_);
    enforce_quota(settings_.quota, deps_.store.list_vms(), nullptr, vm, deps_.disks);  // creating VMs count: they are rows
    deps_.store.insert_vm(vm);  // Error(exists) when the name is taken
  }
  deps_.events.vm_added(vm);
}

VmRecord VmManager::finish_create(const std::string& id, ProgressSink& progress) {
  auto [guard, vm] = lock(id, std::nullopt, true);
  BANGER_FAULT_POINT("create.provision-begun");
  return provisioned(std::move(vm), progress, "create", [&](VmRecord& v) { deps_.capabilities.provision(v, progress); });
}

VmRecord VmManager::provisioned(VmRecord vm, ProgressSink& progress, std::string_view what,
                                const std::function<void(VmRecord&)>& provision) {
  try {
    progress.report("provisioning", 0.1);
    provision(vm);
    progress.report("recording", 0.9);
    if (what == "clone") BANGER_FAULT_POINT("clone.before-commit");
    commit_state(vm, VmState::created, what == "create" ? "created" : "cloned");
    if (what == "create") BANGER_FAULT_POINT("create.record-committed");
    progress.report("done", 1.0);
    return vm;
  } catch (...) {
    auto error = as_domain_error(std::current_exception());
    log::warn("{} of VM '{}' failed: {}", what, vm.name, error.what());
    try {
      deps_.store.delete_vm(vm.id);
    } catch (const std::exception& e) {
      log::error("could not drop the record of failed VM '{}': {}", vm.name, e.what());
    }
    deps_.events.vm_removed(vm);
    throw error;
  }
}

VmRecord VmManager::begin_clone(const std::string& source_id, const std::string& new_name, std::uint32_t owner_uid) {
  validate_vm_name(new_name);
  auto [guard, source] = lock(source_id);
  require_allowed(Verb::clone, source.state, source.name);
  return insert_clone(source, new_name, owner_uid);
}

VmRecord VmManager::insert_clone(const VmRecord& source, const std::string& new_name, std::uint32_t owner_uid) {
  VmRecord vm = source;
  vm.id = new_vm_id();
  vm.name = new_name;
  vm.owner_uid = owner_uid;
  vm.state = VmState::creating;
  vm.last_error.clear();
  vm.handles.clear();
  vm.keep_work_disk = false;
  // Whether a copy comes up at boot is its owner's choice, as its keys are (it may be a scratch copy).
  vm.autostart = false;
  vm.created_at_us = vm.updated_at_us = now_us();
  deps_.capabilities.check_create(vm);
  insert_new(vm);
  BANGER_FAULT_POINT("clone.record-inserted");
  return vm;
}

VmRecord VmManager::finish_clone(const std::string& id, const std::string& source_id, ProgressSink& progress) {
  // The source first (as every caller locks one VM at a time, no cycle): it must not start while being copied.
  std::optional<Locked> source;
  std::exception_ptr source_failure;
  try {
    source.emplace(lock(source_id));
  } catch (...) {
    source_failure = std::current_exception();
  }
  auto [guard, vm] = lock(id, std::nullopt, true);
  return provisioned(std::move(vm), progress, "clone", [&](VmRecord& v) {
    // Deleted (or kept busy) since the Clone call: the copy fails and its record goes, as
    // for any failed copy (found by bus-concurrency: such a clone stayed "creating").
    if (source_failure) std::rethrow_exception(source_failure);
    require_allowed(Verb::clone, source->vm.state, source->vm.name);
    deps_.capabilities.provision_clone(source->vm, v, progress);
  });
}

VmRecord VmManager::stop(const std::string& id, bool force) {
  auto [guard, vm] = lock(id);
  require_allowed(force ? Verb::force_stop : Verb::stop, vm.state, vm.name);
  return stop_locked(std::move(vm), force, force ? "forced stop" : "stopped");
}

VmRecord VmManager::kill(const std::string& id) {
  auto [guard, vm] = lock(id);
  require_allowed(Verb::kill, vm.state, vm.name);
  return stop_locked(std::move(vm), true, "killed");
}

VmRecord VmManager::stop_locked(VmRecord vm, bool force, std::string_view reason,
                                std::optional<std::chrono::milliseconds> timeout) {
  const bool was_paused = vm.state == VmState::paused;
  // No VMM: the saved state is discarded, as a power cut would lose the guest's memory.
  const bool was_suspended = vm.state == VmState::suspended;
  if (holds_vmm_resources(vm.state)) commit_state(vm, VmState::stopping, force ? "kill requested" : "stop requested");
  BANGER_FAULT_POINT("stop.state-stopping");
  std::string failure;
  if (auto handles = handles_.get(vm.id); !handles.empty()) {
    try {
      // A paused guest cannot see the power button: it runs again for its shutdown.
      if (was_paused && !force) resume_vmm_locked(vm, handles);
      // A suspended VM's VMM (one its suspend could not end) holds nothing worth a shutdown.
      if (force || was_suspended)
        backend_of(vm).kill(handles);
      else
        backend_of(vm).stop(handles, timeout.value_or(settings_.stop_timeout));
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  if (!failure.empty()) {
    // Careful: the VMM may still run. Keep its handles (and its watch) so kill can finish the job.
    commit_state(vm, VmState::failed, failure, failure);
    throw Error(ErrorKind::backend_failed, failure);
  }
  BANGER_FAULT_POINT("stop.vmm-stopped");
  forget_vmm(vm.id);
  BANGER_FAULT_POINT("stop.vmm-forgotten");
  deps_.capabilities.cleanup(vm, CleanupReason::stopped);
  BANGER_FAULT_POINT("stop.before-state-commit");
  commit_state(vm, VmState::stopped, was_suspended ? fmt::format("{}; its saved state was discarded", reason) : reason);
  if (was_suspended) saved_.drop(vm.id);  // after the commit: a crash between leaves a stray state recover() drops
  return vm;
}

VmRecord VmManager::restart(const std::string& id) {
  auto [guard, vm] = lock(id);
  require_allowed(Verb::restart, vm.state, vm.name);
  vm = stop_locked(std::move(vm), false, "restarting");
  return start_locked(std::move(vm));
}

void VmManager::remove(const std::string& id) {
  auto [guard, vm] = lock(id);
  require_allowed(Verb::remove, vm.state, vm.name);
  // Its checkpoints go with it: their rows with its row, their files before.
  const auto snapshots = deps_.snapshots != nullptr ? deps_.snapshots->list_snapshots(vm.id) : std::vector<SnapshotRecord>{};
  if (auto handles = handles_.get(vm.id); !handles.empty()) {
    // A failed VM may still hold a VMM that would not stop; make sure it is gone.
    try {
      backend_of(vm).kill(handles);
    } catch (const std::exception& e) {
      throw Error(ErrorKind::backend_failed, fmt::format("cannot delete VM '{}': {}", vm.name, e.what()));
    }
  }
  BANGER_FAULT_POINT("delete.vmm-killed");
  delete_intents_.record(vm.id);  // from here on a restarted bangerd finishes the delete (recover)
  forget_vmm(vm.id);
  BANGER_FAULT_POINT("delete.before-cleanup");
  deps_.capabilities.cleanup(vm, CleanupReason::deleted);
  saved_.drop(vm.id);
  remove_snapshots_of(vm);
  BANGER_FAULT_POINT("delete.cleaned");
  deps_.store.delete_vm(vm.id);
  BANGER_FAULT_POINT("delete.row-deleted");
  delete_intents_.clear(vm.id);
  if (deps_.snapshot_events != nullptr)
    for (const auto& s : snapshots) deps_.snapshot_events->snapshot_removed(s);
  deps_.events.vm_removed(vm);
}

VmRecord VmManager::set(const std::string& id, const VmChanges& changes) {
  auto [guard, vm] = lock(id);
  require_allowed(changes.touches_hardware() ? Verb::set_hardware : Verb::rename, vm.state, vm.name);
  VmRecord after = vm;
  if (changes.name) after.name = *changes.name;
  if (changes.vcpus) after.vcpus = *changes.vcpus;
  if (changes.memory_mib) after.memory_mib = *changes.memory_mib;
  if (changes.disk_mib) after.disk_mib = *changes.disk_mib;
  if (changes.work_disk_mib) after.work_disk_mib = *changes.work_disk_mib;
  if (changes.keep_work_disk) after.keep_work_disk = *changes.keep_work_disk;
  if (changes.forward_ports) after.forward_ports = *changes.forward_ports;
  if (changes.autostart) after.autostart = *changes.autostart;
  if (changes.idle_suspend_s) after.idle_suspend_s = *changes.idle_suspend_s;
  if (after == vm) return vm;
  after.updated_at_us = now_us();
  {
    std::lock_guard serialise(create_mutex_);
    enforce_quota(settings_.quota, deps_.store.list_vms(), &vm, after, deps_.disks);
    deps_.store.update_vm(after);  // Error(exists) for a taken name
  }
  try {
    deps_.capabilities.apply_config_change(vm, after);
  } catch (...) {
    deps_.store.update_vm(vm);
    throw;
  }
  deps_.events.vm_changed(vm, after, {});
  return after;
}

VmRecord VmManager::touch(const std::string& id) {
  auto [guard, vm] = lock(id, std::nullopt, true);
  require_allowed(Verb::touch, vm.state, vm.name);
  VmRecord before = vm;
  vm.updated_at_us = now_us();
  deps_.store.update_vm(vm);
  deps_.events.vm_changed(before, vm, {});
  return vm;
}

void VmManager::inspect(const std::string& id, const std::function<void(const VmRecord&)>& check) {
  auto [guard, vm] = lock(id);
  check(vm);
}

bool VmManager::recorded_vmm_runs(const VmRecord& vm) {
  const auto handles = handles_.get(vm.id);
  if (handles.empty()) return false;
  try {
    return backend_of(vm).status(handles) != VmmStatus::exited;
  } catch (const std::exception& e) {
    log::warn("VM '{}': cannot tell whether its VMM still runs: {}", vm.name, e.what());
    return true;
  }
}

std::vector<VmRecord> VmManager::list() { return deps_.store.list_vms(); }

std::vector<DoctorCheck> VmManager::doctor() {
  std::vector<DoctorCheck> checks;
  for (const auto& name : deps_.backends.names()) {
    const bool is_default = name == deps_.backends.default_name();
    const auto why_not = deps_.backends.get(name).unavailable();
    const std::string role = is_default ? "the default backend" : "a backend VMs may ask for";
    if (why_not.empty())
      checks.push_back({name + "-vmm", "ok", fmt::format("{}, {}, can run VMs", name, role), "", ""});
    else
      checks.push_back({name + "-vmm", is_default ? "fail" : "warn", fmt::format("{}, {}, cannot run VMs", name, role),
                        why_not, "install it, or set its path in the [vmm] table of bangerd.toml"});
  }
  auto more = deps_.capabilities.doctor_checks();
  checks.insert(checks.end(), more.begin(), more.end());
  return checks;
}

}  // namespace banger
