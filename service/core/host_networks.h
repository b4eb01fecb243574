#pragma once
#include <string>
#include <vector>

#include "core/network.h"
#include "core/ipv4.h"

namespace banger {

// The seam between NetworkManager and the host: bridges through netlink, NAT
// through nftables. Implementations are idempotent (start-up re-applies
// everything) and throw Error(backend_failed) with the host's reason.
class HostNetworks {
 public:
  virtual ~HostNetworks() = default;
  // Destinations of the host's own routes (not those of banger's bridges), so
  // a new subnet never shadows a network the host already reaches.
  virtual std::vector<net::Cidr> host_routes() = 0;
  // The bridge exists, is up and holds the gateway address with the subnet's prefix.
  virtual void ensure_bridge(const NetworkRecord& network) = 0;
  virtual void remove_bridge(const std::string& bridge) = 0;
  // Rebuilds banger's one nftables table for exactly these networks
  // (masquerade where nat is on, forwarding for every bridge).
  virtual void apply_nat(const std::vector<NetworkRecord>& networks) = 0;
};

}  // namespace banger
