#pragma once
#include "core/host_taps.h"

namespace banger::net {

// HostTaps in the daemon's network namespace, through net/taps.h.
class NetlinkHostTaps final : public HostTaps {
 public:
  void create(const std::string& tap, uid_t owner, const std::string& bridge) override;
  void remove(const std::string& tap) override;
  std::vector<std::string> list() override;
};

}  // namespace banger::net
