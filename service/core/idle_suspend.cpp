#include "core/idle_suspend.h"

#include <set>

#include <fmt/format.h>

#include "core/log.h"

namespace banger {

IdleSuspender::IdleSuspender(Deps deps, double cpu_threshold_percent)
    : deps_(std::move(deps)), cpu_threshold_percent_(cpu_threshold_percent) {}

bool IdleSuspender::active_between(const Watch& w, const IdleSample& s,
                                   std::chrono::steady_clock::time_point now) const {
  if (s.sessions_open > 0 || s.sessions_begun != w.last.sessions_begun) return true;
  if (s.tap_bytes != w.last.tap_bytes) return true;
  const auto wall = std::chrono::duration<double>(now - w.last_at).count();
  // A counter that went back is another process (a restart between two looks): active.
  if (s.cpu < w.last.cpu) return true;
  if (wall <= 0) return false;
  const auto cpu = std::chrono::duration<double>(s.cpu - w.last.cpu).count();
  return cpu / wall * 100.0 >= cpu_threshold_percent_;
}

void IdleSuspender::look_at(const VmRecord& vm, std::chrono::steady_clock::time_point now) {
  const auto sample = deps_.signals.sample(vm);
  auto found = watches_.find(vm.id);
  if (!sample) {
    // Nothing to compare with: the clock starts when the counters can be read.
    watches_.erase(vm.id);
    return;
  }
  if (found == watches_.end()) {
    watches_.emplace(vm.id, Watch{*sample, now, now});
    return;
  }
  Watch& w = found->second;
  if (active_between(w, *sample, now)) w.idle_since = now;
  w.last = *sample;
  w.last_at = now;
  const auto idle = std::chrono::duration_cast<std::chrono::seconds>(now - w.idle_since);
  if (idle < std::chrono::seconds(vm.idle_suspend_s)) return;
  // Whatever happens, the clock starts over: a suspend that failed is tried
  // again after another idle period, not at every look.
  w.idle_since = now;
  const auto note = fmt::format("suspended after {} s idle", idle.count());
  try {
    deps_.suspend(vm, note);
    log::info("VM '{}': {}", vm.name, note);
  } catch (const std::exception& e) {
    log::warn("VM '{}': idle for {} s, but could not be suspended (tried again after {} s more): {}", vm.name,
              idle.count(), vm.idle_suspend_s, e.what());
  }
}

void IdleSuspender::tick(std::chrono::steady_clock::time_point now) {
  std::vector<VmRecord> vms;
  try {
    vms = deps_.list();
  } catch (const std::exception& e) {
    log::warn("idle sleep: cannot list the VMs: {}", e.what());
    return;
  }
  std::set<std::string> watched;
  for (const auto& vm : vms) {
    // Only a running VM sleeps: a paused one was paused by someone, on purpose.
    if (vm.state != VmState::running || vm.idle_suspend_s == 0) continue;
    watched.insert(vm.id);
    try {
      look_at(vm, now);
    } catch (const std::exception& e) {
      log::warn("VM '{}': idle sleep: {}", vm.name, e.what());
    }
  }
  // A VM that stopped, slept or lost the setting starts a new clock when it is back.
  std::erase_if(watches_, [&](const auto& entry) { return !watched.contains(entry.first); });
}

}  // namespace banger
