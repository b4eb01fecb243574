#pragma once
#include "core/host_networks.h"

namespace banger::net {

// HostNetworks on the real host (the daemon's network namespace): bridges and
// routes over rtnetlink, NAT through banger's nftables table. Every call is
// idempotent, so start-up simply re-applies the stored networks.
class NetlinkHostNetworks final : public HostNetworks {
 public:
  // The host's IPv4 routes (every table) except those through banger's bridges:
  // a network's own bridge routes its subnet and must not count as a clash.
  std::vector<Cidr> host_routes() override;
  void ensure_bridge(const NetworkRecord& network) override;
  void remove_bridge(const std::string& bridge) override;
  // Rebuilds the table, then turns on IPv4 forwarding when a network has NAT
  // on (never off again: see nat_forwarding.h).
  void apply_nat(const std::vector<NetworkRecord>& networks) override;
};

}  // namespace banger::net
