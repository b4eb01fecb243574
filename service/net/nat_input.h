#pragma once
#include <string>
#include <string_view>

namespace banger {

// Everything that reaches an nft script passes through these checks, so no
// input can add nft syntax to banger's ruleset. Both throw
// banger::Error(invalid_args) naming the bad value.

// An interface name the kernel accepts and nft can quote: 1..15 characters
// (IFNAMSIZ - 1) of [A-Za-z0-9_.-], not "." or "..".
void validate_interface_name(std::string_view name);

struct Subnet {
  bool ipv6 = false;
  std::string cidr;  // canonical text: network address "/" prefix length
};

// A network address with its prefix length: IPv4 "a.b.c.d/n" (n ≤ 32) or IPv6
// "x::/n" (n ≤ 128), without host bits set.
Subnet parse_subnet(std::string_view cidr);

}  // namespace banger
