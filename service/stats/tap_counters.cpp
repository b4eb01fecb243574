#include "stats/tap_counters.h"

#include "stats/counter_files.h"

namespace banger::stats {

std::optional<GuestTraffic> read_guest_traffic(const std::filesystem::path& sys_root, const std::string& tap) {
  const auto dir = sys_root / "class" / "net" / tap / "statistics";
  const auto host_tx = read_counter_file(dir / "tx_bytes");
  const auto host_rx = read_counter_file(dir / "rx_bytes");
  if (!host_tx || !host_rx) return std::nullopt;
  GuestTraffic traffic;
  traffic.rx_bytes = leading_number(*host_tx).value_or(0);
  traffic.tx_bytes = leading_number(*host_rx).value_or(0);
  return traffic;
}

}  // namespace banger::stats
