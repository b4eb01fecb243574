#pragma once
// How bangerctl stats and top show VM stats.

#include "banger/client.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace bangerctl {

std::string format_bytes(std::uint64_t bytes);   // "0 B", "512 B", "12.3 MiB"
std::string format_uptime(std::uint64_t seconds);  // "-", "45s", "12m05s", "3h04m", "2d03h"

// NAME CPU% MEM DISK-R DISK-W NET-RX NET-TX UPTIME, a header row first; a VM
// that does not run shows "-" (its stats are all zero).
std::vector<std::vector<std::string>> stats_rows(const std::vector<banger::client::VmStats>& vms);
nlohmann::ordered_json to_json(const std::vector<banger::client::VmStats>& vms);

}  // namespace bangerctl
