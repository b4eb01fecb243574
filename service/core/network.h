#pragma once
#include <cstdint>
#include <map>
#include <string>

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

}  // namespace banger
