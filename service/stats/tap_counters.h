#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace banger::stats {

// A tap's traffic as its guest sees it: what the host sent into the tap
// (its tx_bytes) the guest received, and the other way round.
struct GuestTraffic {
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
};

// From <sys_root>/class/net/<tap>/statistics; nullopt when the tap is gone.
std::optional<GuestTraffic> read_guest_traffic(const std::filesystem::path& sys_root, const std::string& tap);

}  // namespace banger::stats
