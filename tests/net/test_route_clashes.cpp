#include <gtest/gtest.h>

#include "core/errors.h"
#include "net/routes.h"

namespace banger::net {
namespace {

Cidr cidr(const char* text) { return *parse_cidr(text); }

const std::vector<Route> host = {
    {cidr("0.0.0.0/0"), "eth0", 254},
    {cidr("172.17.0.0/16"), "docker0", 254},
    {cidr("10.8.0.0/14"), "tun0", 254},
    {cidr("192.168.1.23/32"), "eth0", 255},
};

TEST(RouteClashes, OverlapEitherWayClashesTheDefaultRouteNever) {
  EXPECT_EQ(find_clash(cidr("172.17.5.0/24"), host)->device, "docker0");  // inside a route
  EXPECT_EQ(find_clash(cidr("10.0.0.0/8"), host)->device, "tun0");        // holds a route
  EXPECT_EQ(find_clash(cidr("192.168.1.0/24"), host)->device, "eth0");    // holds a host address
  EXPECT_FALSE(clashes(cidr("10.200.0.0/24"), host));
  EXPECT_FALSE(clashes(cidr("172.18.0.0/16"), host));
  EXPECT_FALSE(clashes(cidr("10.0.0.0/24"), {}));
}

TEST(RouteClashes, FirstFreeSubnetSkipsTakenCandidates) {
  EXPECT_EQ(first_free_subnet({cidr("172.17.0.0/24"), cidr("10.9.0.0/24"), cidr("10.200.0.0/24")}, host),
            cidr("10.200.0.0/24"));
  EXPECT_EQ(first_free_subnet({cidr("10.200.0.0/24"), cidr("10.201.0.0/24")}, host), cidr("10.200.0.0/24"));
}

TEST(RouteClashes, AllTakenIsResourceExhausted) {
  try {
    first_free_subnet({cidr("172.17.0.0/24"), cidr("10.9.0.0/24")}, host);
    FAIL() << "found a free subnet among taken ones";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::resource_exhausted);
    EXPECT_NE(std::string(e.what()).find("10.9.0.0/24"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace banger::net
