#pragma once
// How bangerctl prints networks: aligned table, "Key: value" details, or JSON.

#include "banger/client.h"

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <vector>

namespace bangerctl {

nlohmann::ordered_json to_json(const banger::client::NetworkInfo& network);
nlohmann::ordered_json to_json(const std::vector<banger::client::NetworkInfo>& networks);
void print_network_table(std::ostream& out, const std::vector<banger::client::NetworkInfo>& networks);
void print_network_details(std::ostream& out, const banger::client::NetworkInfo& network);

}  // namespace bangerctl
