#pragma once
// The IPv4 routes of the calling thread's network namespace (rtnetlink), and
// the checks that keep a network off address space the host already routes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ipv4.h"

namespace banger::net {

struct Route {
  Cidr destination;    // network address and prefix; 0.0.0.0/0 for a default route
  std::string device;  // the first next hop's interface, "" for none (blackhole, multipath without one)
  std::uint32_t table = 0;
};

// Every IPv4 route of every table.
std::vector<Route> host_routes();

// The first route (other than a default route, which overlaps everything)
// whose destination overlaps `subnet`, if any. A network's own bridge routes
// its subnet once it is up: callers checking an existing network leave the
// routes through its bridge out.
std::optional<Route> find_clash(Cidr subnet, const std::vector<Route>& routes);
inline bool clashes(Cidr subnet, const std::vector<Route>& routes) { return find_clash(subnet, routes).has_value(); }

// The first candidate no route clashes with; resource_exhausted when all do.
Cidr first_free_subnet(const std::vector<Cidr>& candidates, const std::vector<Route>& routes);

}  // namespace banger::net
