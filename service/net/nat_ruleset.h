#pragma once
#include <string>
#include <vector>

#include "net/nat_network.h"

namespace banger {

// banger's one nftables table. inet, so one table covers IPv4 and IPv6 subnets.
inline constexpr const char* nat_table_family = "inet";
inline constexpr const char* nat_table_name = "banger";

// The nft script that replaces banger's table with one built from `networks`,
// as one batch: "add table" + "delete table" (so it works whether the table
// exists or not) + the full definition. nft runs a script as one transaction,
// so the table is never half-replaced. Validates every network first
// (Error invalid_args; also for one bridge named twice).
//
// For each network with NAT on: masquerade its subnet leaving through any
// other interface, forward what comes from its bridge and what answers it
// (established/related), and drop new connections into it from outside —
// from another banger network too, NAT or not (issue 17) — unless a DNAT (a
// port forward, net/port_forward_ruleset.h) steered them there. A
// network with NAT off is host-only: nothing is forwarded from or to it, so
// its private addresses never leak upstream unmasqueraded.
//
// For every network, NAT or not, an input chain keeps guests off the host's
// own services: from its bridge only answers, port-forwarded connections,
// DHCP, DNS and ICMP echo to the gateway (the subnet's first address) and IPv6 neighbour discovery reach
// the host; the rest is dropped.
//
// In nftables every base chain on a hook decides on its own: banger's accepts
// let forwarding through banger's table, but cannot override a drop in
// another table (e.g. iptables-nft's FORWARD policy DROP as Docker sets it).
// banger leaves such rules alone; finding them is a host check's job.
std::string nat_apply_script(const std::vector<NatNetwork>& networks);

// Deletes banger's table whether it exists or not, in one batch.
std::string nat_remove_script();

}  // namespace banger
