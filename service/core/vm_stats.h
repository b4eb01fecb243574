#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace banger::stats {

// What a running VM's VMM costs the host, as the VM's stats properties show
// it; all zero while the VM does not run. Guest view for the network: what
// the guest received (the tap's tx) and sent (the tap's rx).
struct VmStats {
  double cpu_percent = 0;  // of one core over the last interval, rounded to 0.1
  std::uint64_t memory_rss_bytes = 0;
  std::uint64_t block_read_bytes = 0;
  std::uint64_t block_write_bytes = 0;
  std::uint64_t net_rx_bytes = 0;
  std::uint64_t net_tx_bytes = 0;
  std::uint64_t uptime_s = 0;  // since the VMM process started
  bool operator==(const VmStats&) const = default;
};

// The VM property names (CPUPercent, MemoryRSSBytes, …) whose values differ.
// Uptime grows every poll, so it is named only along with another change:
// an idle VM costs no signal, and its Uptime is read (never stale) with Get.
std::vector<std::string> stats_changes(const VmStats& before, const VmStats& after);

// CPU time spent over a wall-clock interval as percent of one core, rounded
// to 0.1 so that idle noise does not change the value every poll; 0 for an
// empty interval or a counter that went backwards (a different process).
double cpu_percent(std::chrono::nanoseconds cpu_spent, std::chrono::nanoseconds wall_elapsed);

// Told when a VM's stats change (see stats_changes), with all zeros when it stops running.
class VmStatsObserver {
 public:
  virtual ~VmStatsObserver() = default;
  virtual void vm_stats_changed(const std::string& vm_id, const VmStats& stats) = 0;
};

}  // namespace banger::stats
