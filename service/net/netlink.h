#pragma once
// What the link and route code shares of libnl-route-3: owning handles, a
// connected rtnetlink socket, and libnl error codes turned into banger::Error.
#include <memory>
#include <string>
#include <string_view>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "core/ipv4.h"

namespace banger::net::netlink {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Socket = std::unique_ptr<nl_sock, Deleter<nl_sock, nl_socket_free>>;
using Link = std::unique_ptr<rtnl_link, Deleter<rtnl_link, rtnl_link_put>>;
using Address = std::unique_ptr<rtnl_addr, Deleter<rtnl_addr, rtnl_addr_put>>;
using NlAddr = std::unique_ptr<nl_addr, Deleter<nl_addr, nl_addr_put>>;
using Cache = std::unique_ptr<nl_cache, Deleter<nl_cache, nl_cache_free>>;

// A rtnetlink socket in the calling thread's network namespace. One per call:
// connecting costs microseconds, and nothing is shared between threads.
Socket connect();

// Throws banger::Error(backend_failed) "<what>: <libnl's message>" when err < 0.
void check(int err, std::string_view what);

// The link called `name`, or null when there is none.
Link find_link(nl_sock* sock, std::string_view name);
// The same, but a missing link is an error naming `role` ("bridge", "tap").
Link require_link(nl_sock* sock, std::string_view name, std::string_view role);

// The link's kind as the kernel reports it ("bridge", "tun", "veth"), "" for none.
std::string kind_of(rtnl_link* link);

NlAddr ipv4_addr(Cidr cidr);
Cidr to_cidr(nl_addr* addr);

// Deletes the link `name` if there is one. With a `kind`, a link of another
// kind is left alone and is invalid_args ("... is not a <role>").
void delete_link(nl_sock* sock, std::string_view name, std::string_view kind = {}, std::string_view role = {});

// Sets the link up (and its master, when master_ifindex > 0) in one request.
void set_up(nl_sock* sock, rtnl_link* link, int master_ifindex, std::string_view what);

}  // namespace banger::net::netlink
