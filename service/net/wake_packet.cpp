#include "net/wake_packet.h"

namespace banger {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> p, std::size_t at) {
  return static_cast<std::uint16_t>((p[at] << 8) | p[at + 1]);
}

std::uint32_t be32(std::span<const std::uint8_t> p, std::size_t at) {
  return (std::uint32_t{p[at]} << 24) | (std::uint32_t{p[at + 1]} << 16) | (std::uint32_t{p[at + 2]} << 8) |
         std::uint32_t{p[at + 3]};
}

constexpr std::size_t ipv4_min_header = 20;
constexpr std::size_t tcp_flags_at = 13;  // the byte with SYN (0x02) and ACK (0x10)
constexpr std::uint8_t tcp_protocol = 6;
constexpr std::uint8_t syn = 0x02, ack = 0x10;

}  // namespace

std::optional<WakeTarget> parse_tcp_syn(std::span<const std::uint8_t> packet) {
  if (packet.size() < ipv4_min_header) return std::nullopt;
  if ((packet[0] >> 4) != 4) return std::nullopt;
  const std::size_t header = std::size_t{packet[0] & 0x0fu} * 4;
  if (header < ipv4_min_header || header > packet.size()) return std::nullopt;
  const std::size_t total = be16(packet, 2);
  if (total < header) return std::nullopt;
  if (packet[9] != tcp_protocol) return std::nullopt;
  if ((be16(packet, 6) & 0x1fffu) != 0) return std::nullopt;  // a later fragment: no TCP header
  // The TCP header up to its flags, within both what the kernel copied and the packet's own length.
  const std::size_t needed = header + tcp_flags_at + 1;
  if (needed > packet.size() || needed > total) return std::nullopt;
  const std::uint8_t flags = packet[header + tcp_flags_at];
  if ((flags & (syn | ack)) != syn) return std::nullopt;
  return WakeTarget{be32(packet, 16), be16(packet, header + 2)};
}

}  // namespace banger
