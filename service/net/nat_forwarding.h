#pragma once
#include <string>

namespace banger {

// Turns on IPv4 forwarding (net.ipv4.ip_forward = 1), which NAT networks need.
// Left to the caller, not done by NatTable::apply: it is a host-wide setting
// of the network namespace (it also turns this host into a router for every
// interface, and resets some per-interface settings such as accept_redirects),
// so the daemon should do it once, knowingly, when a NAT network exists — and
// `bangerctl doctor` can say so. banger never turns it off again: other
// software may rely on it by then.
//
// IPv6 subnets get their masquerade rules too, but their forwarding
// (net.ipv6.conf.all.forwarding) is not switched here.
//
// Returns whether forwarding was already on. Throws Error(backend_failed)
// when the setting cannot be read or written. `path` is for tests.
bool enable_ipv4_forwarding(const std::string& path = "/proc/sys/net/ipv4/ip_forward");

}  // namespace banger
