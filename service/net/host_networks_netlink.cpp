#include "net/host_networks_netlink.h"

#include <algorithm>

#include "core/errors.h"
#include "core/log.h"
#include "net/links.h"
#include "net/nat_forwarding.h"
#include "net/nat_table.h"
#include "net/routes.h"

namespace banger::net {

std::vector<Cidr> NetlinkHostNetworks::host_routes() {
  std::vector<Cidr> routes;
  for (const auto& route : net::host_routes())
    if (!route.device.starts_with(bridge_name_prefix)) routes.push_back(route.destination);
  return routes;
}

void NetlinkHostNetworks::ensure_bridge(const NetworkRecord& network) {
  const auto subnet = parse_cidr(network.subnet);
  const auto gateway = parse_ipv4(network.gateway);
  // The store only holds what NetworkManager validated; this guards a hand-edited one.
  if (!subnet || !gateway)
    throw Error(ErrorKind::invalid_args, "network '" + network.name + "' has a malformed subnet or gateway in the store");
  net::ensure_bridge(network.bridge, Cidr{*gateway, subnet->prefix});
}

void NetlinkHostNetworks::remove_bridge(const std::string& bridge) { delete_link(bridge); }

void NetlinkHostNetworks::apply_nat(const std::vector<NetworkRecord>& networks) {
  std::vector<NatNetwork> wanted;
  for (const auto& n : networks) wanted.push_back({n.bridge, n.subnet, n.nat});
  NatTable{}.apply(wanted);
  if (std::any_of(networks.begin(), networks.end(), [](const NetworkRecord& n) { return n.nat; }) &&
      !enable_ipv4_forwarding())
    log::info("turned on IPv4 forwarding (net.ipv4.ip_forward) for the NAT networks");
}

}  // namespace banger::net
