#include "net/taps.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/errors.h"
#include "core/unique_fd.h"
#include "net/links.h"
#include "net/netlink.h"

namespace banger::net {

namespace {

[[noreturn]] void tun_failed(std::string_view what, std::string_view name) {
  throw Error(ErrorKind::backend_failed,
              std::string(what) + " for tap " + std::string(name) + ": " + std::strerror(errno));
}

// Opens /dev/net/tun and attaches to (or creates) the tap. Returns an invalid
// fd when a VMM holds the tap open already (EBUSY): it exists and is in use.
UniqueFd attach_tun(std::string_view name) {
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (!fd.valid()) tun_failed("opening /dev/net/tun", name);
  ifreq request{};
  std::memcpy(request.ifr_name, name.data(), name.size());
  request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (::ioctl(fd.get(), TUNSETIFF, &request) != 0) {
    if (errno == EBUSY) return UniqueFd();
    tun_failed("TUNSETIFF", name);
  }
  return fd;
}

}  // namespace

void create_tap(std::string_view name, uid_t owner, std::string_view bridge) {
  validate_link_name(name);
  validate_link_name(bridge);
  auto sock = netlink::connect();
  auto master = netlink::require_link(sock.get(), bridge, "bridge");
  if (netlink::kind_of(master.get()) != "bridge")
    throw Error(ErrorKind::invalid_args, "link '" + std::string(bridge) + "' is not a bridge");
  auto existing = netlink::find_link(sock.get(), name);
  if (existing && netlink::kind_of(existing.get()) != "tun")
    throw Error(ErrorKind::invalid_args, "link '" + std::string(name) + "' exists and is not a tap");

  // Until TUNSETPERSIST the tap lives only as long as this fd, so a failure
  // before it leaves nothing; after it, a tap made here is deleted again.
  if (auto fd = attach_tun(name); fd.valid()) {
    if (::ioctl(fd.get(), TUNSETOWNER, static_cast<unsigned long>(owner)) != 0) tun_failed("TUNSETOWNER", name);
    if (::ioctl(fd.get(), TUNSETPERSIST, 1ul) != 0) tun_failed("TUNSETPERSIST", name);
  }
  try {
    auto tap = netlink::require_link(sock.get(), name, "tap");
    netlink::set_up(sock.get(), tap.get(), rtnl_link_get_ifindex(master.get()),
                    "netlink: attaching tap " + std::string(name) + " to " + std::string(bridge));
  } catch (const Error&) {
    // Without throwing: the first error is the one to report.
    rtnl_link* made = nullptr;
    if (!existing && rtnl_link_get_kernel(sock.get(), 0, std::string(name).c_str(), &made) == 0) {
      rtnl_link_delete(sock.get(), made);
      rtnl_link_put(made);
    }
    throw;
  }
}

void delete_tap(std::string_view name) {
  validate_link_name(name);
  netlink::delete_link(netlink::connect().get(), name, "tun", "tap");
}

std::vector<std::string> list_taps() {
  std::vector<std::string> names;
  for (auto& link : list_links())
    if (link.kind == "tun" && is_tap_name(link.name)) names.push_back(link.name);
  return names;
}

}  // namespace banger::net
