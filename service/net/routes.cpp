#include "net/routes.h"

#include <net/if.h>

#include "core/errors.h"
#include "net/netlink.h"

namespace banger::net {

std::vector<Route> host_routes() {
  auto sock = netlink::connect();
  nl_cache* raw = nullptr;
  netlink::check(rtnl_route_alloc_cache(sock.get(), AF_INET, 0, &raw), "netlink: listing routes");
  netlink::Cache cache(raw);
  std::vector<Route> routes;
  for (auto* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* route = reinterpret_cast<rtnl_route*>(obj);
    Route r;
    if (auto* dst = rtnl_route_get_dst(route)) r.destination = netlink::to_cidr(dst);
    r.table = rtnl_route_get_table(route);
    if (rtnl_route_get_nnexthops(route) > 0) {
      char name[IF_NAMESIZE] = {};
      int ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, 0));
      if (ifindex > 0 && if_indextoname(static_cast<unsigned>(ifindex), name)) r.device = name;
    }
    routes.push_back(std::move(r));
  }
  return routes;
}

std::optional<Route> find_clash(Cidr subnet, const std::vector<Route>& routes) {
  for (const auto& route : routes)
    if (route.destination.prefix > 0 && overlaps(subnet, route.destination)) return route;
  return std::nullopt;
}

Cidr first_free_subnet(const std::vector<Cidr>& candidates, const std::vector<Route>& routes) {
  for (auto candidate : candidates)
    if (!clashes(candidate, routes)) return candidate;
  std::string tried;
  for (auto candidate : candidates) tried += (tried.empty() ? "" : ", ") + to_string(candidate);
  throw Error(ErrorKind::resource_exhausted, "every candidate subnet clashes with a host route (" + tried + ")");
}

}  // namespace banger::net
