#include "stats/stats_poller.h"

#include <unistd.h>

#include "core/log.h"
#include "stats/cgroup_counters.h"
#include "stats/process_counters.h"
#include "stats/tap_counters.h"

namespace banger::stats {

StatsPoller::StatsPoller(VmStatsObserver& observer, VmmLookup vmm, TapName tap, StatsSources sources)
    : observer_(observer), vmm_(std::move(vmm)), tap_(std::move(tap)), sources_(std::move(sources)) {
  if (sources_.daemon_pid == 0) sources_.daemon_pid = ::getpid();
}

void StatsPoller::track(const VmRecord& vm) {
  if (vm.state != VmState::running || targets_.contains(vm.id)) return;
  Target target;
  target.tap = tap_(vm);
  targets_.emplace(vm.id, std::move(target));
}

void StatsPoller::track_running(const std::vector<VmRecord>& vms) {
  std::lock_guard lock(mutex_);
  for (const auto& vm : vms) track(vm);
}

void StatsPoller::vm_added(const VmRecord& vm) {
  std::lock_guard lock(mutex_);
  track(vm);
}

void StatsPoller::vm_changed(const VmRecord&, const VmRecord& after, std::string_view) {
  std::lock_guard lock(mutex_);
  if (after.state == VmState::running) {
    track(after);
    return;
  }
  auto it = targets_.find(after.id);
  if (it == targets_.end()) return;
  // Under the lock, so a round sampling meanwhile cannot report the old figures after these.
  if (it->second.published != VmStats{}) observer_.vm_stats_changed(after.id, VmStats{});
  targets_.erase(it);
}

void StatsPoller::vm_removed(const VmRecord& vm) {
  std::lock_guard lock(mutex_);
  targets_.erase(vm.id);
}

void StatsPoller::poll(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (targets_.empty()) return;
  const auto boot_uptime = read_boot_uptime(sources_.proc_root);
  for (auto& [id, target] : targets_) {
    try {
      sample(id, target, boot_uptime, now);
    } catch (const std::exception& e) {
      // One VM's unreadable handles must not stop the others' stats (nor the timer).
      log::warn("stats of VM {}: {}", id, e.what());
    }
  }
}

void StatsPoller::sample(const std::string& id, Target& target, std::optional<double> boot_uptime,
                         std::chrono::steady_clock::time_point now) {
  if (!target.process) target.process = vmm_(id);
  if (!target.process) return;  // handles not written yet
  const auto process = read_process_counters(sources_.proc_root, target.process->pid);
  // Gone, or its pid reused: the VM stops soon (the exit watcher reports it).
  if (!process || process->start_ticks != target.process->start_time) return;
  if (!target.cgroup)
    target.cgroup = vmm_cgroup(sources_.proc_root, sources_.cgroup_root, target.process->pid, sources_.daemon_pid);

  VmStats stats;
  auto cpu = process->cpu;
  stats.memory_rss_bytes = process->rss_bytes;
  stats.block_read_bytes = process->read_bytes;
  stats.block_write_bytes = process->write_bytes;
  if (*target.cgroup) {
    if (const auto group = read_cgroup_counters(**target.cgroup)) {
      cpu = group->cpu;
      stats.memory_rss_bytes = group->memory_bytes.value_or(stats.memory_rss_bytes);
      stats.block_read_bytes = group->read_bytes.value_or(stats.block_read_bytes);
      stats.block_write_bytes = group->write_bytes.value_or(stats.block_write_bytes);
    }
  }
  if (target.last_cpu) stats.cpu_percent = cpu_percent(cpu - *target.last_cpu, now - target.last_at);
  target.last_cpu = cpu;
  target.last_at = now;
  if (!target.tap.empty()) {
    if (const auto traffic = read_guest_traffic(sources_.sys_root, target.tap)) {
      stats.net_rx_bytes = traffic->rx_bytes;
      stats.net_tx_bytes = traffic->tx_bytes;
    }
  }
  if (boot_uptime) stats.uptime_s = process_uptime_s(*boot_uptime, process->start_ticks);
  if (stats_changes(target.published, stats).empty()) return;
  target.published = stats;
  observer_.vm_stats_changed(id, stats);
}

}  // namespace banger::stats
