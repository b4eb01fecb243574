#pragma once
#include <compare>
#include <cstdint>
#include <string>
#include <vector>

namespace banger {

// A socket listening in a running guest, as VM.Ports lists it. A port open on
// both IPv4 and IPv6 is listed once.
struct GuestPort {
  std::string protocol;  // "tcp" | "udp"
  std::uint16_t port = 0;
  std::string process;   // the listening process's name (comm), empty when unknown
  auto operator<=>(const GuestPort&) const = default;
};

// Told when the set of a running VM's listening ports changes (sorted, no
// duplicates), and with an empty set when the VM stops. The port poller calls
// it from its own thread; automatic port forwarding listens to it.
class GuestPortsObserver {
 public:
  virtual ~GuestPortsObserver() = default;
  virtual void guest_ports_changed(const std::string& vm_id, const std::vector<GuestPort>& ports) = 0;
};

}  // namespace banger
