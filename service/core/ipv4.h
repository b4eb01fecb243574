#pragma once
// IPv4 addresses and subnets as banger's networks use them: parsing, the
// checks a network's subnet must pass, and overlap tests.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace banger::net {

// Host byte order throughout; netlink code converts at its edge.
using Ipv4 = std::uint32_t;

std::optional<Ipv4> parse_ipv4(std::string_view text);
std::string to_string_ipv4(Ipv4 address);

// An address with its prefix length, e.g. a bridge's 10.0.0.1/24 or a route's 10.0.0.0/24.
struct Cidr {
  Ipv4 address = 0;
  std::uint8_t prefix = 0;
  bool operator==(const Cidr&) const = default;
};

Ipv4 netmask(std::uint8_t prefix);
Ipv4 network_of(Cidr cidr);
std::optional<Cidr> parse_cidr(std::string_view text);  // "a.b.c.d/n", n in 0..32
std::string to_string(Cidr cidr);
bool overlaps(Cidr a, Cidr b);
bool contains(Cidr subnet, Ipv4 address);
bool is_private(Cidr subnet);  // inside 10/8, 172.16/12 or 192.168/16
std::uint64_t size_of(Cidr subnet);  // addresses in the subnet, 2^(32 - prefix)
Ipv4 broadcast_of(Cidr subnet);      // the subnet's last address

// Prefix lengths a network may have: a /29 is the smallest that leaves room
// for a few VMs besides the gateway, and a /16 (65534 hosts) is more than one
// host's bridge needs; larger blocks would only starve the automatic choice.
inline constexpr std::uint8_t min_network_prefix = 16;
inline constexpr std::uint8_t max_network_prefix = 29;

// A network's subnet: well formed, no host bits, a private range (NAT'd guests
// on public addresses would hide those hosts from the machine), prefix within
// the bounds above. Throws banger::Error(invalid_args) saying which rule failed.
Cidr parse_network_subnet(std::string_view text);

// The bridge's address in a network: the subnet's first host.
Cidr gateway_of(Cidr subnet);

}  // namespace banger::net
