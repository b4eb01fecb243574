#pragma once
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace banger {

// A host port forwarded to a port of a VM's guest (VM.Forwards). A host port is
// forwarded to at most one VM per protocol. `automatic`: made by the VM's
// forward_ports option for a port the guest listens on, and removed when it
// stops listening; manual forwards stay until RemoveForward or the VM's delete.
struct PortForward {
  std::string protocol;  // "tcp" | "udp"
  std::uint16_t host_port = 0;
  std::uint16_t guest_port = 0;
  bool automatic = false;
  auto operator<=>(const PortForward&) const = default;
};

// Host ports below this are refused: they belong to the host's system
// services (ssh, http, dns …), and a VM owner taking one over would hijack
// them for everybody on the host.
inline constexpr std::uint16_t min_forward_host_port = 1024;

// Throws Error(invalid_args) for a protocol other than "tcp" / "udp", a port 0
// or a host port below min_forward_host_port, naming the bad value.
void validate_forward_protocol(std::string_view protocol);
void validate_forward(std::string_view protocol, std::uint16_t host_port, std::uint16_t guest_port);

// "tcp 8080 → 80", for messages and logs.
std::string describe(const PortForward& forward);

// Told whenever a VM's forwards change (sorted by protocol, then host port);
// the bus layer turns it into VM.Forwards' PropertiesChanged. Called on
// whatever thread changed them.
class ForwardEvents {
 public:
  virtual ~ForwardEvents() = default;
  virtual void forwards_changed(const std::string& vm_id, const std::vector<PortForward>& forwards) = 0;
};

}  // namespace banger
