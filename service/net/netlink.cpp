#include "net/netlink.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cstring>

#include "core/errors.h"

namespace banger::net::netlink {

Socket connect() {
  Socket sock(nl_socket_alloc());
  if (!sock) throw Error(ErrorKind::backend_failed, "netlink: out of memory allocating a socket");
  check(nl_connect(sock.get(), NETLINK_ROUTE), "netlink: connecting to rtnetlink");
  return sock;
}

void check(int err, std::string_view what) {
  if (err < 0) throw Error(ErrorKind::backend_failed, std::string(what) + ": " + nl_geterror(err));
}

Link find_link(nl_sock* sock, std::string_view name) {
  rtnl_link* link = nullptr;
  std::string copy(name);
  int err = rtnl_link_get_kernel(sock, 0, copy.c_str(), &link);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return nullptr;
  check(err, "netlink: looking up link " + copy);
  return Link(link);
}

Link require_link(nl_sock* sock, std::string_view name, std::string_view role) {
  auto link = find_link(sock, name);
  if (!link) throw Error(ErrorKind::invalid_args, std::string(role) + " '" + std::string(name) + "' does not exist");
  return link;
}

std::string kind_of(rtnl_link* link) {
  const char* kind = rtnl_link_get_type(link);
  return kind ? kind : "";
}

NlAddr ipv4_addr(Cidr cidr) {
  std::uint32_t be = htonl(cidr.address);
  NlAddr addr(nl_addr_build(AF_INET, &be, sizeof be));
  if (!addr) throw Error(ErrorKind::backend_failed, "netlink: out of memory building an address");
  nl_addr_set_prefixlen(addr.get(), cidr.prefix);
  return addr;
}

Cidr to_cidr(nl_addr* addr) {
  std::uint32_t be = 0;
  if (nl_addr_get_len(addr) == sizeof be) std::memcpy(&be, nl_addr_get_binary_addr(addr), sizeof be);
  return Cidr{ntohl(be), static_cast<std::uint8_t>(nl_addr_get_prefixlen(addr))};
}

void delete_link(nl_sock* sock, std::string_view name, std::string_view kind, std::string_view role) {
  auto link = find_link(sock, name);
  if (!link) return;
  if (!kind.empty() && kind_of(link.get()) != kind)
    throw Error(ErrorKind::invalid_args, "link '" + std::string(name) + "' is not a " + std::string(role));
  int err = rtnl_link_delete(sock, link.get());
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return;  // gone meanwhile
  check(err, "netlink: deleting link " + std::string(name));
}

void set_up(nl_sock* sock, rtnl_link* link, int master_ifindex, std::string_view what) {
  Link changes(rtnl_link_alloc());
  if (!changes) throw Error(ErrorKind::backend_failed, "netlink: out of memory");
  if (master_ifindex > 0) rtnl_link_set_master(changes.get(), master_ifindex);
  rtnl_link_set_flags(changes.get(), IFF_UP);
  check(rtnl_link_change(sock, link, changes.get(), 0), what);
}

}  // namespace banger::net::netlink
