#include "core/host_power.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace {

// The states in which a VM has a VMM process: what keeps the host from sleeping unprepared.
bool vmm_runs(VmState state) {
  return state == VmState::starting || holds_vmm_resources(state) || state == VmState::stopping;
}

// logind's own default for InhibitDelayMaxUSec.
constexpr std::chrono::microseconds default_delay_max = std::chrono::seconds(5);

}  // namespace

std::chrono::milliseconds HostPower::stop_budget(std::chrono::microseconds delay_max) {
  using namespace std::chrono;
  const auto delay = duration_cast<milliseconds>(delay_max);
  const auto margin = std::max<milliseconds>(delay / 5, milliseconds(500));
  return std::max<milliseconds>(delay - margin, seconds(1));
}

void HostPower::track_running(const std::vector<VmRecord>& vms) {
  for (const auto& vm : vms)
    if (vmm_runs(vm.state)) vmm_running(vm.id, true);
}

void HostPower::vm_changed(const VmRecord& before, const VmRecord& after, std::string_view) {
  if (vmm_runs(before.state) != vmm_runs(after.state)) vmm_running(after.id, vmm_runs(after.state));
}

void HostPower::vm_removed(const VmRecord& vm) { vmm_running(vm.id, false); }

void HostPower::vmm_running(const std::string& id, bool running) {
  {
    std::lock_guard hold(mutex_);
    const bool changed = running ? running_.insert(id).second : running_.erase(id) > 0;
    if (!changed) return;
  }
  deps_.post([this] { follow_count(); });
}

std::size_t HostPower::running_count() const {
  std::lock_guard hold(mutex_);
  return running_.size();
}

void HostPower::follow_count() {
  const auto count = running_count();
  if (count == 0 || asleep_ || shutting_down_) {
    std::lock_guard hold(mutex_);
    lock_.reset();
    lock_reason_.clear();
    return;
  }
  const auto why = fmt::format("{} VM{} running", count, count == 1 ? "" : "s");
  {
    std::lock_guard hold(mutex_);
    if (lock_.valid() && lock_reason_ == why) return;
  }
  // The new lock first, then the old one goes: the host is never without one meanwhile.
  UniqueFd fresh;
  try {
    fresh = deps_.logind.inhibit_sleep_and_shutdown(why);
    told_unavailable_ = false;
  } catch (const std::exception& e) {
    if (!told_unavailable_) log::warn("no inhibitor lock on sleep and shutdown, VMs are not protected: {}", e.what());
    told_unavailable_ = true;
    return;  // keep the old lock, if any: its reason is stale, its protection is not
  }
  std::lock_guard hold(mutex_);
  lock_ = std::move(fresh);
  lock_reason_ = why;
}

void HostPower::before_sleep() {
  asleep_ = true;
  paused_.clear();
  for (const auto& vm : deps_.vms.running()) {
    if (vm.state == VmState::paused) continue;  // paused by its user: it stays so after the host wakes
    try {
      deps_.vms.pause(vm);
      paused_.push_back(vm);
    } catch (const std::exception& e) {
      log::warn("VM '{}' not paused before the host sleeps: {}", vm.name, e.what());
    }
  }
  log::info("host going to sleep: paused {} VM(s)", paused_.size());
  follow_count();  // asleep: lets go of the lock, so logind goes on at once
}

void HostPower::after_sleep() {
  asleep_ = false;
  const auto paused = std::move(paused_);
  paused_.clear();
  std::vector<VmRecord> resumed;
  for (const auto& vm : paused) {
    try {
      deps_.vms.resume(vm);
      resumed.push_back(vm);
    } catch (const std::exception& e) {
      log::warn("VM '{}' not resumed after the host slept: {}", vm.name, e.what());
    }
  }
  follow_count();
  log::info("host woke up: resumed {} VM(s)", resumed.size());
  if (deps_.clock == nullptr) return;
  // A paused guest's clock stood still while the host slept.
  for (const auto& vm : resumed) {
    try {
      deps_.clock->set(vm, std::chrono::system_clock::now());
    } catch (const std::exception& e) {
      log::warn("VM '{}': guest clock not set after the host slept: {}", vm.name, e.what());
    }
  }
}

void HostPower::before_shutdown() {
  shutting_down_ = true;
  auto delay_max = default_delay_max;
  try {
    delay_max = deps_.logind.inhibit_delay_max();
  } catch (const std::exception& e) {
    log::warn("logind's InhibitDelayMaxUSec unknown ({}), taking {} s", e.what(),
              std::chrono::duration_cast<std::chrono::seconds>(delay_max).count());
  }
  const auto budget = stop_budget(delay_max);
  const auto vms = deps_.vms.running();
  log::info("host shutting down: {} {} VM(s) within {} ms", deps_.suspend_at_shutdown ? "suspending" : "stopping",
            vms.size(), budget.count());
  const auto deadline = std::chrono::steady_clock::now() + budget;
  // All at once: one slow guest must not eat the others' time.
  std::vector<std::thread> stops;
  for (const auto& vm : vms)
    stops.emplace_back([this, vm, budget, deadline] {
      auto within = budget;
      if (deps_.suspend_at_shutdown) {
        try {
          deps_.vms.suspend(vm, budget);
          return;
        } catch (const std::exception& e) {
          // Not supported, refused or failed: the VM is as it was, and is stopped instead,
          // in what is left of the time (a second at least: the guest gets its power button).
          log::warn("VM '{}' not suspended before the host shuts down ({}); stopping it", vm.name, e.what());
          within = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()),
                            std::chrono::milliseconds(1000));
        }
      }
      try {
        deps_.vms.stop(vm, within);
      } catch (const std::exception& e) {
        log::warn("VM '{}' not stopped before the host shuts down: {}", vm.name, e.what());
      }
    });
  for (auto& stop : stops) stop.join();
  follow_count();  // shutting down: lets go of the lock
}

void HostPower::shutdown_cancelled() {
  shutting_down_ = false;
  follow_count();
}

bool HostPower::holds_lock() const {
  std::lock_guard hold(mutex_);
  return lock_.valid();
}

std::string HostPower::lock_reason() const {
  std::lock_guard hold(mutex_);
  return lock_reason_;
}

}  // namespace banger
