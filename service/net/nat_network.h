#pragma once
#include <string>

namespace banger {

// The desired NAT state of one banger network, as the network layer knows it.
struct NatNetwork {
  std::string bridge;  // the network's bridge interface
  std::string subnet;  // CIDR, e.g. "10.201.0.0/24" or "fd00:42::/64"
  bool nat = false;    // masquerade and forward the subnet; off = host-only network
};

}  // namespace banger
