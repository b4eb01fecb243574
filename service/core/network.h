#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace banger {

// One host network VMs attach to: a Linux bridge with the gateway address,
// optionally masqueraded to the outside. `subnet` is canonical CIDR
// ("10.219.0.0/24"); `leases` maps VM id → address (IPAM, in the store).
struct NetworkRecord {
  std::string name;
  std::string bridge;
  std::string subnet;
  std::string gateway;
  bool nat = true;
  std::string dns_domain;
  std::uint64_t created_at_us = 0;
  std::map<std::string, std::string> leases;

  bool operator==(const NetworkRecord&) const = default;
};

inline constexpr const char* default_network_name = "default";
// Every network's bridge is this prefix and the network's name, which is how
// the host side tells banger's bridges (and their routes) from the host's own.
inline constexpr std::string_view bridge_name_prefix = "bg-";

}  // namespace banger
