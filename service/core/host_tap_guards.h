#pragma once
#include <string>
#include <vector>

namespace banger {

// What a guest may send through its tap (issue 17, finding 6): frames from
// its own MAC only, IPv4 from its own address only, ARP naming only that pair
// (or 0.0.0.0, a probe); nothing else (no IPv6: banger's networks are IPv4).
// `isolated`: a port of the shared default network, whose frames reach the
// host but no other guest's tap; guests on a user-created network share it.
struct TapGuard {
  std::string tap;      // "bgt0123456789ab"
  std::string mac;      // "02:…", the VM's (net::mac_for)
  std::string address;  // "10.219.0.2", the VM's lease
  bool isolated = false;

  bool operator==(const TapGuard&) const = default;
};

// The seam between the tap capability and the host's filter (net/tap_guard_table.h
// in bangerd, a fake in tests). A banger tap without a guard gets nothing
// through, so a tap is guarded right after it is made. Failures throw
// Error(backend_failed | invalid_args).
class HostTapGuards {
 public:
  virtual ~HostTapGuards() = default;
  virtual void guard(const TapGuard& guard) = 0;  // adds or replaces the tap's guard
  virtual void unguard(const std::string& tap) = 0;
  // Daemon start-up: exactly these guards (the taps of VMs that still run).
  virtual void guard_only(const std::vector<TapGuard>& guards) = 0;
};

}  // namespace banger
