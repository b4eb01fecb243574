#include "stats_output.h"

#include <fmt/format.h>

#include <array>

namespace bangerctl {

std::string format_bytes(std::uint64_t bytes) {
  static constexpr std::array units{"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < units.size()) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string format_uptime(std::uint64_t s) {
  if (s == 0) return "-";
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::vector<std::vector<std::string>> stats_rows(const std::vector<banger::client::VmStats>& vms) {
  std::vector<std::vector<std::string>> rows{{"NAME", "CPU%", "MEM", "DISK-R", "DISK-W", "NET-RX", "NET-TX", "UPTIME"}};
  for (const auto& vm : vms) {
    if (vm.state != "running") {
      rows.push_back({vm.name, "-", "-", "-", "-", "-", "-", "-"});
      continue;
    }
    rows.push_back({vm.name, fmt::format("{:.1f}", vm.cpu_percent), format_bytes(vm.memory_rss_bytes),
                    format_bytes(vm.block_read_bytes), format_bytes(vm.block_write_bytes),
                    format_bytes(vm.net_rx_bytes), format_bytes(vm.net_tx_bytes), format_uptime(vm.uptime_s)});
  }
  return rows;
}

nlohmann::ordered_json to_json(const std::vector<banger::client::VmStats>& vms) {
  auto all = nlohmann::ordered_json::array();
  for (const auto& vm : vms)
    all.push_back({{"name", vm.name},
                   {"id", vm.id},
                   {"state", vm.state},
                   {"cpu_percent", vm.cpu_percent},
                   {"memory_rss_bytes", vm.memory_rss_bytes},
                   {"block_read_bytes", vm.block_read_bytes},
                   {"block_write_bytes", vm.block_write_bytes},
                   {"net_rx_bytes", vm.net_rx_bytes},
                   {"net_tx_bytes", vm.net_tx_bytes},
                   {"uptime_s", vm.uptime_s}});
  return all;
}

}  // namespace bangerctl
