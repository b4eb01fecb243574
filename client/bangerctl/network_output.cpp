#include "network_output.h"

#include "output.h"

#include <fmt/format.h>

#include <ostream>

namespace bangerctl {

using banger::client::NetworkInfo;

nlohmann::ordered_json to_json(const NetworkInfo& network) {
  return {
      {"name", network.name},
      {"bridge", network.bridge},
      {"subnet", network.subnet},
      {"gateway", network.gateway},
      {"nat", network.nat},
      {"dns_domain", network.dns_domain},
      {"leases", network.leases},
      {"path", network.path},
  };
}

nlohmann::ordered_json to_json(const std::vector<NetworkInfo>& networks) {
  auto array = nlohmann::ordered_json::array();
  for (const auto& network : networks) array.push_back(to_json(network));
  return array;
}

void print_network_table(std::ostream& out, const std::vector<NetworkInfo>& networks) {
  std::vector<std::vector<std::string>> rows{{"NAME", "SUBNET", "GATEWAY", "BRIDGE", "NAT", "LEASES"}};
  for (const auto& n : networks)
    rows.push_back({n.name, n.subnet, n.gateway, n.bridge, n.nat ? "on" : "off", std::to_string(n.leases.size())});
  print_table(out, rows);
}

void print_network_details(std::ostream& out, const NetworkInfo& network) {
  const std::pair<const char*, std::string> lines[] = {
      {"Name", network.name},       {"Subnet", network.subnet},         {"Gateway", network.gateway},
      {"Bridge", network.bridge},   {"NAT", network.nat ? "on" : "off"}, {"DNS domain", network.dns_domain},
      {"Path", network.path},
  };
  for (const auto& [key, value] : lines) out << fmt::format("{:<12}{}\n", std::string(key) + ":", value);
  out << fmt::format("{:<12}{}\n", "Leases:", network.leases.empty() ? "-" : "");
  for (const auto& [vm, address] : network.leases) out << fmt::format("  {}  {}\n", address, vm);
}

}  // namespace bangerctl
