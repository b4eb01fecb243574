#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/ipv4.h"

namespace banger::net {
namespace {

ErrorKind kind_of_failure(std::string_view subnet) {
  try {
    parse_network_subnet(subnet);
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::internal;
}

TEST(Ipv4, ParsesAndPrintsDottedQuads) {
  EXPECT_EQ(parse_ipv4("10.1.2.3"), Ipv4{0x0a010203});
  EXPECT_EQ(to_string_ipv4(0xc0a80a01), "192.168.10.1");
  for (auto bad : {"", "10.1.2", "10.1.2.3.4", "10.1.2.256", "010.1.2.3", "a.b.c.d", "10.1.2.3 "})
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
}

TEST(Ipv4, ParsesCidrs) {
  EXPECT_EQ(parse_cidr("10.0.0.1/24"), (Cidr{0x0a000001, 24}));
  EXPECT_EQ(to_string(Cidr{0xac100000, 12}), "172.16.0.0/12");
  for (auto bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/2a", "10.0.0.0/024", "/24"})
    EXPECT_FALSE(parse_cidr(bad)) << bad;
}

TEST(Ipv4, OverlapAndContainment) {
  auto a = *parse_cidr("10.0.0.0/16"), b = *parse_cidr("10.0.5.0/24"), c = *parse_cidr("10.1.0.0/24");
  EXPECT_TRUE(overlaps(a, b));
  EXPECT_TRUE(overlaps(b, a));
  EXPECT_FALSE(overlaps(a, c));
  EXPECT_TRUE(contains(b, *parse_ipv4("10.0.5.255")));
  EXPECT_FALSE(contains(b, *parse_ipv4("10.0.6.0")));
  EXPECT_EQ(netmask(0), 0u);
  EXPECT_EQ(netmask(32), 0xffffffffu);
  EXPECT_EQ(netmask(33), 0xffffffffu) << "a prefix the kernel refuses, not a negative shift";
}

TEST(Ipv4, SizeAndBroadcast) {
  auto s = *parse_cidr("10.219.4.0/22");
  EXPECT_EQ(size_of(s), 1024u);
  EXPECT_EQ(to_string_ipv4(broadcast_of(s)), "10.219.7.255");
  EXPECT_EQ(to_string(gateway_of(s)), "10.219.4.1/22");
  EXPECT_EQ(size_of(*parse_cidr("0.0.0.0/0")), std::uint64_t{1} << 32);
  EXPECT_EQ(broadcast_of(*parse_cidr("0.0.0.0/0")), 0xffffffffu);
}

TEST(Ipv4, NetworkSubnetsMustBePrivateWellFormedAndSized) {
  EXPECT_EQ(parse_network_subnet("172.31.0.0/16"), (Cidr{0xac1f0000, 16}));
  EXPECT_EQ(parse_network_subnet("172.31.255.0/24"), (Cidr{0xac1fff00, 24}));
  EXPECT_EQ(parse_network_subnet("10.9.9.8/29"), (Cidr{0x0a090908, 29}));
  for (auto bad : {"nonsense", "10.0.0.0", "10.0.0.1/24", "172.32.0.0/24", "8.8.8.0/24", "192.169.0.0/24",
                   "10.0.0.0/30", "10.0.0.0/15", "10.0.0.0/8", "10.0.0.0/7", "172.16.0.0/11", "010.0.0.0/24"})
    EXPECT_EQ(kind_of_failure(bad), ErrorKind::invalid_args) << bad;
}

TEST(Ipv4, ErrorsSayWhichRuleFailed) {
  try {
    parse_network_subnet("10.0.0.1/24");
    FAIL() << "accepted host bits";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("10.0.0.0/24"), std::string::npos) << e.what();
  }
}

TEST(Ipv4, GatewayIsTheFirstHost) { EXPECT_EQ(to_string(gateway_of(*parse_cidr("192.168.7.0/24"))), "192.168.7.1/24"); }

}  // namespace
}  // namespace banger::net
