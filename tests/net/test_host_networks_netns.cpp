// NetlinkHostNetworks' route listing in a network namespace of the test's own:
// routes through banger's bg- bridges are not the host's.
#include <algorithm>

#include <gtest/gtest.h>

#include "net/host_networks_netlink.h"
#include "net/links.h"
#include "netns.h"

namespace banger::net {
namespace {

TEST(NetlinkHostNetworksInNetns, HostRoutesLeaveOutBangersBridges) {
  if (auto why = test::netns_unavailable()) GTEST_SKIP() << *why;
  test::ScopedNetns netns;
  ensure_bridge("bg-mine", *parse_cidr("10.66.0.1/24"));
  ensure_bridge("bt-theirs", *parse_cidr("10.67.0.1/24"));  // not banger's name

  const auto routes = NetlinkHostNetworks{}.host_routes();
  auto has = [&](const char* cidr) { return std::count(routes.begin(), routes.end(), *parse_cidr(cidr)) > 0; };
  EXPECT_TRUE(has("10.67.0.0/24"));
  const auto mine = *parse_cidr("10.66.0.0/24");
  EXPECT_FALSE(std::any_of(routes.begin(), routes.end(), [&](Cidr r) { return contains(mine, r.address); }))
      << "a route through bg-mine was listed";
}

}  // namespace
}  // namespace banger::net
