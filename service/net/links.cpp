#include "net/links.h"

#include <net/if.h>
#include <netlink/route/link/bridge.h>

#include <algorithm>
#include <cctype>

#include "core/errors.h"
#include "core/mac_address.h"
#include "net/netlink.h"

namespace banger::net {

void validate_link_name(std::string_view name) {
  bool ok = !name.empty() && name.size() < IFNAMSIZ && name != "." && name != ".." &&
            std::none_of(name.begin(), name.end(), [](unsigned char c) {
              return c == '/' || c == ':' || std::isspace(c) || !std::isprint(c);
            });
  if (!ok)
    throw Error(ErrorKind::invalid_args, "'" + std::string(name) +
                                             "' is not an interface name (1 to 15 printable bytes, no '/', ':' or spaces)");
}

namespace {

// Removes the bridge's other IPv4 addresses and adds `gateway` unless it is there.
void set_only_address(nl_sock* sock, rtnl_link* bridge, Cidr gateway, std::string_view name) {
  int ifindex = rtnl_link_get_ifindex(bridge);
  nl_cache* raw = nullptr;
  netlink::check(rtnl_addr_alloc_cache(sock, &raw), "netlink: listing addresses");
  netlink::Cache cache(raw);
  bool present = false;
  for (auto* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);
    if (rtnl_addr_get_ifindex(addr) != ifindex || rtnl_addr_get_family(addr) != AF_INET) continue;
    auto cidr = netlink::to_cidr(rtnl_addr_get_local(addr));
    if (cidr == gateway) {
      present = true;
      continue;
    }
    netlink::check(rtnl_addr_delete(sock, addr, 0),
                   "netlink: removing " + to_string(cidr) + " from bridge " + std::string(name));
  }
  if (present) return;
  netlink::Address addr(rtnl_addr_alloc());
  if (!addr) throw Error(ErrorKind::backend_failed, "netlink: out of memory");
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  rtnl_addr_set_local(addr.get(), netlink::ipv4_addr(gateway).get());
  rtnl_addr_set_prefixlen(addr.get(), gateway.prefix);
  auto broadcast = netlink::ipv4_addr(Cidr{network_of(gateway) | ~netmask(gateway.prefix), 32});
  rtnl_addr_set_broadcast(addr.get(), broadcast.get());
  netlink::check(rtnl_addr_add(sock, addr.get(), 0),
                 "netlink: adding " + to_string(gateway) + " to bridge " + std::string(name));
}

void create_bridge(nl_sock* sock, std::string_view name) {
  netlink::Link bridge(rtnl_link_bridge_alloc());
  if (!bridge) throw Error(ErrorKind::backend_failed, "netlink: out of memory");
  std::string copy(name);
  rtnl_link_set_name(bridge.get(), copy.c_str());
  auto mac = stable_mac("bridge:" + copy);
  nl_addr* raw = nullptr;
  netlink::check(nl_addr_parse(mac.c_str(), AF_LLC, &raw), "netlink: parsing MAC " + mac);
  netlink::NlAddr lladdr(raw);
  rtnl_link_set_addr(bridge.get(), lladdr.get());
  int err = rtnl_link_add(sock, bridge.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST) return;  // made by a concurrent call; the caller checks its kind
  netlink::check(err, "netlink: creating bridge " + copy);
}

}  // namespace

void ensure_bridge(std::string_view name, Cidr gateway) {
  validate_link_name(name);
  auto sock = netlink::connect();
  auto bridge = netlink::find_link(sock.get(), name);
  bool created = !bridge;
  if (created) {
    create_bridge(sock.get(), name);
    bridge = netlink::require_link(sock.get(), name, "bridge");
  }
  if (netlink::kind_of(bridge.get()) != "bridge")
    throw Error(ErrorKind::invalid_args, "link '" + std::string(name) + "' exists and is not a bridge");
  try {
    set_only_address(sock.get(), bridge.get(), gateway, name);
    netlink::set_up(sock.get(), bridge.get(), 0, "netlink: bringing bridge " + std::string(name) + " up");
  } catch (const Error&) {
    if (created) rtnl_link_delete(sock.get(), bridge.get());  // no half-made bridge; the first error is the one to report
    throw;
  }
}

void add_bridge(std::string_view name) {
  validate_link_name(name);
  netlink::Link bridge(rtnl_link_bridge_alloc());
  if (!bridge) throw Error(ErrorKind::backend_failed, "netlink: out of memory");
  std::string copy(name);
  rtnl_link_set_name(bridge.get(), copy.c_str());
  netlink::check(rtnl_link_add(netlink::connect().get(), bridge.get(), NLM_F_CREATE | NLM_F_EXCL),
                 "netlink: creating bridge " + copy);
}

void delete_link(std::string_view name) {
  validate_link_name(name);
  netlink::delete_link(netlink::connect().get(), name);
}

std::vector<LinkInfo> list_links() {
  auto sock = netlink::connect();
  nl_cache* raw_links = nullptr;
  netlink::check(rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw_links), "netlink: listing links");
  netlink::Cache links(raw_links);
  nl_cache* raw_addrs = nullptr;
  netlink::check(rtnl_addr_alloc_cache(sock.get(), &raw_addrs), "netlink: listing addresses");
  netlink::Cache addrs(raw_addrs);

  std::vector<LinkInfo> result;
  for (auto* obj = nl_cache_get_first(links.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* link = reinterpret_cast<rtnl_link*>(obj);
    LinkInfo info;
    info.name = rtnl_link_get_name(link);
    info.kind = netlink::kind_of(link);
    char buffer[64];
    if (int master = rtnl_link_get_master(link); master > 0)
      info.master = rtnl_link_i2name(links.get(), master, buffer, sizeof buffer);
    info.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
    if (auto* mac = rtnl_link_get_addr(link); mac && nl_addr_get_len(mac) == 6)
      info.mac = nl_addr2str(mac, buffer, sizeof buffer);
    for (auto* a = nl_cache_get_first(addrs.get()); a; a = nl_cache_get_next(a)) {
      auto* addr = reinterpret_cast<rtnl_addr*>(a);
      if (rtnl_addr_get_ifindex(addr) == rtnl_link_get_ifindex(link) && rtnl_addr_get_family(addr) == AF_INET)
        info.addresses.push_back(netlink::to_cidr(rtnl_addr_get_local(addr)));
    }
    result.push_back(std::move(info));
  }
  return result;
}

}  // namespace banger::net
