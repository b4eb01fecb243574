// The VmManager half that runs without a client asking: at daemon start
// (recover, recorded_vmms) and when a VMM ends on its own (vmm_exited).
#include "core/vm_manager.h"

#include <string.h>

#include <fmt/format.h>

#include "core/log.h"

namespace banger {

namespace {

std::string describe(const VmmExit& exit) {
  switch (exit.how) {
    case VmmExit::How::exited: return fmt::format("the VMM exited with status {}", exit.value);
    case VmmExit::How::signalled:
      return fmt::format("the VMM was killed by signal {} ({})", exit.value, sigabbrev_np(exit.value) != nullptr
                                                                               ? fmt::format("SIG{}", sigabbrev_np(exit.value))
                                                                               : "unknown");
    case VmmExit::How::unknown: break;
  }
  return "the VMM exited";
}

}  // namespace

void VmManager::recover() {
  finish_deletes();
  finish_snapshot_restores();  // before the VMs are settled: a finished one may be suspended
  for (auto vm : deps_.store.list_vms()) {
    auto guard = locks_.acquire(vm.id, settings_.lock_timeout, vm.id);  // recover() runs before any client
    std::string handles = handles_.get(vm.id);
    if (handles.empty() && !vm.handles.empty()) {
      // Started by a bangerd of the previous version, which kept the handles in
      // the VM's row: move them to the handles file, once, so the VMM is adopted.
      handles = vm.handles;
      handles_.put(vm.id, vm.backend, handles);
      vm.handles.clear();
      deps_.store.update_vm(vm);
    }
    // True when the VMM the handles name still runs: same pid and start time, and a command line that
    // names this VM (the backend checks).
    auto alive = [&] {
      if (handles.empty()) return false;
      try {
        return backend_of(vm).adopt(handles);
      } catch (const std::exception& e) {
        log::warn("VM '{}': cannot check its VMM: {}", vm.name, e.what());
        return false;
      }
    };
    switch (vm.state) {
      case VmState::creating:
        log::warn("VM '{}' was being created when bangerd stopped; removing it", vm.name);
        handles_.erase(vm.id);
        deps_.capabilities.cleanup(vm, CleanupReason::create_failed);
        deps_.store.delete_vm(vm.id);
        break;
      case VmState::running:
      case VmState::paused: {
        if (saved_.find(vm.id)) {
          settle_saved_state(vm, handles, alive());
          break;
        }
        if (alive()) {
          watch(vm.id, handles);
          settle_adopted_pause(vm, handles);
          log::info("adopted {} VM '{}'", to_string(vm.state), vm.name);
          break;
        }
        std::string why = handles.empty() ? "the VMM's handles file is gone (was the host restarted?)"
                                          : "the VMM exited while bangerd was not running";
        handles_.erase(vm.id);
        deps_.capabilities.cleanup(vm, CleanupReason::stopped);
        commit_state(vm, VmState::stopped, why, why);
        break;
      }
      case VmState::starting:
        // A restore cut off before its guest ran: the saved state is still good.
        if (saved_.find(vm.id)) {
          settle_saved_state(vm, handles, alive());
          break;
        }
        [[fallthrough]];
      case VmState::stopping: {
        // The operation was cut off halfway; end the VMM rather than guess how far it got.
        bool was_starting = vm.state == VmState::starting;
        if (alive() && !end_vmm_or_log(vm, handles, "its VMM")) continue;
        handles_.erase(vm.id);
        deps_.capabilities.cleanup(vm, was_starting ? CleanupReason::start_failed : CleanupReason::stopped);
        std::string why = fmt::format("bangerd restarted while the VM was {}", to_string(vm.state));
        commit_state(vm, was_starting ? VmState::failed : VmState::stopped, why, was_starting ? why : "");
        break;
      }
      case VmState::failed:
        // A VMM that would not stop is kept for Kill or Delete to end; a dead one needs nothing.
        if (!alive()) handles_.erase(vm.id);
        break;
      case VmState::suspended: {
        // A VMM a suspend could not end (paused, never to run on) is ended by the next Start.
        const bool vmm_left = alive();
        if (saved_.find(vm.id)) {
          if (!vmm_left) handles_.erase(vm.id);
          break;
        }
        // The state is gone: a stopped VM, with no VMM left either.
        if (vmm_left && !end_vmm_or_log(vm, handles, "the VMM its suspend left")) break;
        handles_.erase(vm.id);
        const std::string why = "its saved state is gone; it boots afresh at the next Start";
        deps_.capabilities.cleanup(vm, CleanupReason::stopped);
        commit_state(vm, VmState::stopped, why, why);
        break;
      }
      default: handles_.erase(vm.id); break;
    }
  }
  drop_stray_saved_states();
  drop_stray_snapshots();
}

bool VmManager::end_vmm_or_log(const VmRecord& vm, const std::string& handles, std::string_view whose) noexcept {
  try {
    backend_of(vm).kill(handles);
    return true;
  } catch (const std::exception& e) {
    log::error("VM '{}': cannot end {}: {}", vm.name, whose, e.what());
    return false;
  }
}

// A paused VM's VMM may run after all: bangerd stopped between a resume and its
// commit. Its VMM says which (QMP query-status, Firecracker's GET /); the record follows.
// A running VM's VMM may be paused: bangerd stopped during a suspend, before the
// state was saved; the guest runs on.
void VmManager::settle_adopted_pause(VmRecord& vm, const std::string& handles) {
  try {
    const auto status = backend_of(vm).status(handles);
    if (vm.state == VmState::paused && status == VmmStatus::running) commit_state(vm, VmState::running, "resumed");
    if (vm.state == VmState::running && status == VmmStatus::paused) {
      log::warn("VM '{}': its VMM was left paused (a suspend cut off); it runs on", vm.name);
      resume_vmm_locked(vm, handles);
    }
  } catch (const std::exception& e) {
    log::warn("VM '{}': cannot ask its VMM whether it is paused; it stays as it is: {}", vm.name, e.what());
  }
}

// A delete cut off halfway has cleaned up some of the VM already: finish it, as the user asked.
void VmManager::finish_deletes() {
  for (const auto& id : delete_intents_.recorded()) {
    if (auto vm = deps_.store.find_vm(id)) {
      log::warn("VM '{}' was being deleted when bangerd stopped; finishing the delete", vm->name);
      if (auto handles = handles_.get(id); !handles.empty()) {
        try {
          if (backend_of(*vm).adopt(handles)) backend_of(*vm).kill(handles);
        } catch (const std::exception& e) {
          log::error("VM '{}': cannot end its VMM, the delete stays unfinished: {}", vm->name, e.what());
          continue;
        }
        handles_.erase(id);
      }
      deps_.capabilities.cleanup(*vm, CleanupReason::deleted);
      deps_.store.delete_vm(id);
    }
    delete_intents_.clear(id);
  }
}

std::vector<VmmProcess> VmManager::recorded_vmms() {
  std::vector<VmmProcess> out;
  for (const auto& vm : deps_.store.list_vms())
    if (auto process = handles_.process_in(handles_.get(vm.id))) out.push_back(*process);
  return out;
}

void VmManager::note_exit(const std::string& id, const VmmProcess& process, const VmmExit& exit) {
  {
    std::lock_guard hold(exits_mutex_);
    noted_exits_[id] = {process, exit};
  }
  exit_noted_.notify_all();
}

std::optional<std::string> VmManager::exit_noted(const std::string& id, const std::string& handles,
                                                 std::chrono::milliseconds wait) {
  const auto process = handles_.process_in(handles);
  if (!process || deps_.watch == nullptr) return std::nullopt;
  std::unique_lock hold(exits_mutex_);
  const bool noted = exit_noted_.wait_for(hold, wait, [&] {
    auto it = noted_exits_.find(id);
    return it != noted_exits_.end() && it->second.first == *process;
  });
  if (!noted) return std::nullopt;
  const auto exit = noted_exits_[id].second;
  noted_exits_.erase(id);
  return describe(exit);
}

void VmManager::vmm_exited(const std::string& id, const VmmProcess& process, const VmmExit& exit) {
  note_exit(id, process, exit);
  try {
    auto [guard, vm] = lock(id, settings_.lock_timeout + settings_.stop_timeout, true);
    {
      std::lock_guard hold(exits_mutex_);
      noted_exits_.erase(id);  // settled here (or by the start that failed meanwhile)
    }
    // Only the VMM this running VM still has: a stop, kill or failed start of
    // banger's own has already settled the VM (and dropped the handles).
    const std::string handles = handles_.get(id);
    if (!holds_vmm_resources(vm.state) || handles_.process_in(handles) != process) return;
    VmmExit known = exit;
    if (known.how == VmmExit::How::unknown) {
      try {
        if (auto code = backend_of(vm).exit_code(handles)) known = {VmmExit::How::exited, *code};
      } catch (const std::exception& e) {
        log::warn("VM '{}': reading how its VMM ended: {}", vm.name, e.what());
      }
    }
    handles_.erase(id);
    deps_.capabilities.cleanup(vm, CleanupReason::stopped);
    const bool clean = known.how == VmmExit::How::unknown || (known.how == VmmExit::How::exited && known.value == 0);
    const std::string how = describe(known);
    log::info("VM '{}': {}", vm.name, how);
    if (clean)
      commit_state(vm, VmState::stopped, known.how == VmmExit::How::unknown ? how : "the guest shut down");
    else
      commit_state(vm, VmState::failed, how, how);
  } catch (const std::exception& e) {
    log::warn("VM {}: settling its exited VMM: {}", id, e.what());
  }
}

}  // namespace banger
