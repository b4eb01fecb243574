#pragma once
// Telling the host's resolver (systemd-resolved) that a bridge has a DNS
// server for a domain, so `<vm>.<domain>` resolves on the host. The seam has
// no bus types; resolved_bus.h is the implementation over D-Bus, tests use fakes.
#include <optional>
#include <string>

namespace banger::net {

struct ResolvedLink {
  int ifindex = 0;
  std::string dns_server;  // IPv4 address, "10.219.0.1"
  std::string domain;      // "banger": routing only, only names under it go there
};

class ResolvedLinks {
 public:
  virtual ~ResolvedLinks() = default;
  // Why the host's resolver cannot be told (not running, no system bus), or
  // nullopt when it can.
  virtual std::optional<std::string> unavailable() = 0;
  // Sets the link's DNS server and its routing-only domain. Returns nullopt
  // when done, else why not (unavailable, or what resolved answered).
  virtual std::optional<std::string> register_link(const ResolvedLink& link) = 0;
};

}  // namespace banger::net
