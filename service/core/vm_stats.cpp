#include "core/vm_stats.h"

#include <cmath>

namespace banger::stats {

std::vector<std::string> stats_changes(const VmStats& before, const VmStats& after) {
  std::vector<std::string> changed;
  if (before.cpu_percent != after.cpu_percent) changed.emplace_back("CPUPercent");
  if (before.memory_rss_bytes != after.memory_rss_bytes) changed.emplace_back("MemoryRSSBytes");
  if (before.block_read_bytes != after.block_read_bytes) changed.emplace_back("BlockReadBytes");
  if (before.block_write_bytes != after.block_write_bytes) changed.emplace_back("BlockWriteBytes");
  if (before.net_rx_bytes != after.net_rx_bytes) changed.emplace_back("NetRxBytes");
  if (before.net_tx_bytes != after.net_tx_bytes) changed.emplace_back("NetTxBytes");
  // From or to zero is a start or a stop: worth a signal on its own.
  const bool uptime_edge = (before.uptime_s == 0) != (after.uptime_s == 0);
  if (before.uptime_s != after.uptime_s && (!changed.empty() || uptime_edge)) changed.emplace_back("Uptime");
  return changed;
}

double cpu_percent(std::chrono::nanoseconds cpu_spent, std::chrono::nanoseconds wall_elapsed) {
  if (wall_elapsed.count() <= 0 || cpu_spent.count() <= 0) return 0;
  const double percent = 100.0 * static_cast<double>(cpu_spent.count()) / static_cast<double>(wall_elapsed.count());
  return std::round(percent * 10) / 10;
}

}  // namespace banger::stats
