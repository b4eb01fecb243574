#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace banger {

// banger's table for port forwards, beside the NAT table (nat_ruleset.h):
// NatTable replaces its table as a whole from the networks alone, so forwards
// live in a table of their own and neither can drop the other's rules.
inline constexpr const char* forward_table_family = "ip";
inline constexpr const char* forward_table_name = "banger_forwards";

// One active forward: host_port on the host → guest_address:guest_port, the
// guest behind `bridge`.
struct ForwardRule {
  std::string protocol;  // "tcp" | "udp"
  std::uint16_t host_port = 0;
  std::string guest_address;  // IPv4, no prefix
  std::uint16_t guest_port = 0;
  std::string bridge;
};

// The nft script that makes banger's forward table hold exactly `rules`, as
// one batch: its chains flushed and refilled, never deleted (a deleted base
// chain drops the packets held on netfilter queues: wake-on-connect's SYNs). Validates every rule first (Error invalid_args, also
// for a host port named twice for one protocol), so no input adds nft syntax.
//
// Each rule DNATs connections to any of the host's own addresses on host_port
// (`fib daddr type local`): in prerouting for traffic from elsewhere, in output
// for the host's own, 127.0.0.1 included. Loopback-sourced packets may only
// leave through the bridge with route_localnet on it (PortForwardTable sets
// it) and are masqueraded to the bridge's address so the guest can answer;
// so is a guest's connection to a forward that leads back into its own bridge
// (hairpin), whose answer would otherwise bypass the host. route_localnet
// would also let 127/8-addressed packets in from the bridge: a raw-priority
// guard drops any that do not come from lo, which is what the kernel does
// without route_localnet.
std::string forward_apply_script(const std::vector<ForwardRule>& rules);

// Deletes the forward table whether it exists or not, in one batch.
std::string forward_remove_script();

}  // namespace banger
