// Wake-on-connect's packet parser (net/wake_packet.h): what it takes out of a
// held packet, and everything it refuses. The packets are untrusted: each cut
// or lie in a length must give nullopt, never a read past the end (ASan builds).
#include <gtest/gtest.h>

#include <vector>

#include "net/wake_packet.h"

namespace banger {
namespace {

// IPv4 (IHL `ihl`, total length of the real size) + a 20-byte TCP header.
std::vector<std::uint8_t> syn_packet(std::uint8_t flags = 0x02, std::uint8_t ihl = 5) {
  std::vector<std::uint8_t> p(ihl * 4 + 20, 0);
  p[0] = static_cast<std::uint8_t>(0x40 | ihl);
  p[2] = static_cast<std::uint8_t>(p.size() >> 8);
  p[3] = static_cast<std::uint8_t>(p.size() & 0xff);
  p[9] = 6;
  const std::uint8_t dst[4] = {10, 201, 0, 2};
  for (int i = 0; i < 4; ++i) p[16 + i] = dst[i];
  const std::size_t tcp = ihl * 4;
  p[tcp + 2] = 0x1f;  // port 8080
  p[tcp + 3] = 0x90;
  p[tcp + 12] = 0x50;
  p[tcp + 13] = flags;
  return p;
}

std::optional<WakeTarget> parse(const std::vector<std::uint8_t>& p) { return parse_tcp_syn(p); }

TEST(WakePacket, TheDestinationOfASyn) {
  EXPECT_EQ(parse(syn_packet()), (WakeTarget{0x0ac90002u, 8080}));
  EXPECT_EQ(parse(syn_packet(0x02 | 0x08)), (WakeTarget{0x0ac90002u, 8080})) << "SYN with PSH: still the first";
  EXPECT_EQ(parse(syn_packet(0x02, 15)), (WakeTarget{0x0ac90002u, 8080})) << "IPv4 options: the TCP header after";
}

TEST(WakePacket, OnlyTheFirstSegmentOfATcpConnection) {
  EXPECT_EQ(parse(syn_packet(0x12)), std::nullopt) << "SYN-ACK";
  EXPECT_EQ(parse(syn_packet(0x10)), std::nullopt) << "ACK";
  EXPECT_EQ(parse(syn_packet(0x04)), std::nullopt) << "RST";
  auto udp = syn_packet();
  udp[9] = 17;
  EXPECT_EQ(parse(udp), std::nullopt);
  auto v6 = syn_packet();
  v6[0] = 0x65;
  EXPECT_EQ(parse(v6), std::nullopt);
  auto fragment = syn_packet();
  fragment[7] = 1;  // offset 8 bytes
  EXPECT_EQ(parse(fragment), std::nullopt);
}

TEST(WakePacket, EveryCutAndEveryLyingLengthIsRefused) {
  const auto whole = syn_packet();
  for (std::size_t size = 0; size < 20 + 14; ++size)
    EXPECT_EQ(parse_tcp_syn(std::span(whole.data(), size)), std::nullopt) << size;
  EXPECT_TRUE(parse_tcp_syn(std::span(whole.data(), 20 + 14)).has_value()) << "just up to the flags";
  for (std::uint8_t ihl : {0, 1, 4}) {
    auto p = whole;
    p[0] = static_cast<std::uint8_t>(0x40 | ihl);
    EXPECT_EQ(parse(p), std::nullopt) << "IHL " << int{ihl};
  }
  auto past = syn_packet();
  past[0] = 0x4f;  // a 60-byte header in a 40-byte packet
  EXPECT_EQ(parse(past), std::nullopt);
  auto short_total = syn_packet();
  short_total[2] = 0;
  short_total[3] = 30;  // the packet says it ends before the flags
  EXPECT_EQ(parse(short_total), std::nullopt);
  short_total[3] = 10;  // shorter than its own header
  EXPECT_EQ(parse(short_total), std::nullopt);
}

}  // namespace
}  // namespace banger
