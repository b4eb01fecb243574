#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/vmm_handles.h"
#include "core/vm_events.h"
#include "core/vm_stats.h"

namespace banger::stats {

// Where the counters are read; tests point these at fixture trees.
struct StatsSources {
  std::filesystem::path proc_root = "/proc";
  std::filesystem::path sys_root = "/sys";
  std::filesystem::path cgroup_root = "/sys/fs/cgroup";
  pid_t daemon_pid = 0;  // 0: this process
};

// Samples every running VM's VMM in one round (poll(), driven by one timer
// for all VMs): CPU time, memory and block I/O from its cgroup when it runs in
// one of its own (a jailed Firecracker), else from its /proc entry; network
// from its tap; uptime from the process's start time, so it survives a daemon
// restart. Learns which VMs run from the VmEvents it is told (and
// track_running at start-up). Thread-safe.
class StatsPoller final : public VmEvents {
 public:
  using VmmLookup = std::function<std::optional<VmmProcess>(const std::string& vm_id)>;
  using TapName = std::function<std::string(const VmRecord& vm)>;  // empty: the VM has no tap

  StatsPoller(VmStatsObserver& observer, VmmLookup vmm, TapName tap, StatsSources sources = {});

  // The VMs running when the daemon starts (after recovery).
  void track_running(const std::vector<VmRecord>& vms);
  // One round; `now` is when it runs (CPU % is over the time since the last round).
  void poll(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

  void vm_added(const VmRecord& vm) override;
  void vm_changed(const VmRecord& before, const VmRecord& after, std::string_view reason) override;
  void vm_removed(const VmRecord& vm) override;

 private:
  struct Target {
    std::string tap;
    std::optional<VmmProcess> process;  // looked up at the first round that finds it
    std::optional<std::optional<std::filesystem::path>> cgroup;  // decided once per process
    std::optional<std::chrono::nanoseconds> last_cpu;
    std::chrono::steady_clock::time_point last_at;
    VmStats published;
  };
  void track(const VmRecord& vm);
  void sample(const std::string& id, Target& target, std::optional<double> boot_uptime,
              std::chrono::steady_clock::time_point now);

  VmStatsObserver& observer_;
  VmmLookup vmm_;
  TapName tap_;
  StatsSources sources_;
  std::mutex mutex_;
  std::map<std::string, Target> targets_;  // the running VMs, by id
};

}  // namespace banger::stats
