#include "net/host_taps_netlink.h"

#include "net/taps.h"

namespace banger::net {

void NetlinkHostTaps::create(const std::string& tap, uid_t owner, const std::string& bridge) {
  create_tap(tap, owner, bridge);
}

void NetlinkHostTaps::remove(const std::string& tap) { delete_tap(tap); }

std::vector<std::string> NetlinkHostTaps::list() { return list_taps(); }

}  // namespace banger::net
