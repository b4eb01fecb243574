#include <gtest/gtest.h>

#include "core/errors.h"
#include "net/nat_input.h"

namespace banger {
namespace {

void expect_invalid(auto&& call) {
  try {
    call();
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_args) << e.what();
  }
}

TEST(NatInput, AcceptsKernelStyleInterfaceNames) {
  EXPECT_NO_THROW(validate_interface_name("bgr0"));
  EXPECT_NO_THROW(validate_interface_name("banger-default"));
  EXPECT_NO_THROW(validate_interface_name("br_1.100"));
  EXPECT_NO_THROW(validate_interface_name("abcdefghijklmno"));  // 15, the most IFNAMSIZ allows
}

TEST(NatInput, RefusesInterfaceNamesThatAreTooLongEmptyOrCouldCarryNftSyntax) {
  for (const char* name : {"", "abcdefghijklmnop", ".", "..", "br0\"", "br0\" accept", "br 0", "br0;", "br/0",
                           "br0}", "br0\n", "br@0", "br$0", "brä"}) {
    SCOPED_TRACE(name);
    expect_invalid([&] { validate_interface_name(name); });
  }
}

TEST(NatInput, ParsesSubnetsIntoCanonicalText) {
  const auto v4 = parse_subnet("10.201.0.0/24");
  EXPECT_FALSE(v4.ipv6);
  EXPECT_EQ(v4.cidr, "10.201.0.0/24");
  const auto v6 = parse_subnet("fd00:0:0:42:0:0:0:0/64");
  EXPECT_TRUE(v6.ipv6);
  EXPECT_EQ(v6.cidr, "fd00:0:0:42::/64");
  EXPECT_EQ(parse_subnet("0.0.0.0/0").cidr, "0.0.0.0/0");
  EXPECT_EQ(parse_subnet("192.168.7.9/32").cidr, "192.168.7.9/32");
  EXPECT_EQ(parse_subnet("172.16.0.0/12").cidr, "172.16.0.0/12");
}

TEST(NatInput, RefusesMalformedSubnetsAndOnesWithHostBits) {
  for (const char* cidr : {"", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "fd00::/129", "10.0.0.1/24", "10.0.0.0/+8",
                           "10.0.0.0/24 ", " 10.0.0.0/24", "10.0.0.0/24; flush ruleset", "10.0.0/24", "10.0.0.0/-1",
                           "example.com/24", "10.0.0.0/24/24", "fd00::1/64", "172.17.0.0/12"}) {
    SCOPED_TRACE(cidr);
    expect_invalid([&] { parse_subnet(cidr); });
  }
}

}  // namespace
}  // namespace banger
