#pragma once
#include <string>

#include "net/resolved_link.h"

namespace banger::net {

// ResolvedLinks over D-Bus: org.freedesktop.resolve1.Manager's SetLinkDNS and
// SetLinkDomains, only when org.freedesktop.resolve1 has an owner (asking
// would otherwise start a resolved the host does not use). A connection per
// call: registrations are rare (daemon start, network creation) and this way
// a restarted bus never leaves a dead connection behind.
class ResolvedBus final : public ResolvedLinks {
 public:
  // An empty address is the system bus (honouring DBUS_SYSTEM_BUS_ADDRESS).
  explicit ResolvedBus(std::string bus_address = {});

  std::optional<std::string> unavailable() override;
  std::optional<std::string> register_link(const ResolvedLink& link) override;

 private:
  std::string bus_address_;
};

}  // namespace banger::net
