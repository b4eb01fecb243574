#pragma once
#include <cstdint>
#include <optional>
#include <span>

namespace banger {

// Where a held connection attempt goes: its destination address (host byte
// order, as core/ipv4.h's Ipv4) and TCP port.
struct WakeTarget {
  std::uint32_t address = 0;
  std::uint16_t port = 0;
  bool operator==(const WakeTarget&) const = default;
};

// The destination of an IPv4 packet carrying the first TCP segment of a
// connection (SYN without ACK), or nullopt for anything else: another
// version, protocol or flags, a fragment other than the first, an IHL below 5,
// headers cut short. The packet is untrusted (it reaches the host from a
// network the guests share): every offset is checked against `packet`'s size
// and the header's own lengths, and nothing but these fields is read.
std::optional<WakeTarget> parse_tcp_syn(std::span<const std::uint8_t> packet);

}  // namespace banger
