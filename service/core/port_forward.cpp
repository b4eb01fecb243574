#include "core/port_forward.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

void validate_forward_protocol(std::string_view protocol) {
  if (protocol != "tcp" && protocol != "udp")
    throw Error(ErrorKind::invalid_args, fmt::format("protocol '{}': must be 'tcp' or 'udp'", protocol));
}

void validate_forward(std::string_view protocol, std::uint16_t host_port, std::uint16_t guest_port) {
  validate_forward_protocol(protocol);
  if (host_port == 0) throw Error(ErrorKind::invalid_args, "host port 0: must be 1024..65535");
  if (guest_port == 0) throw Error(ErrorKind::invalid_args, "guest port 0: must be 1..65535");
  if (host_port < min_forward_host_port)
    throw Error(ErrorKind::invalid_args,
                fmt::format("host port {} is below {}: privileged ports belong to the host's own services and are "
                            "never forwarded (use 1024..65535)",
                            host_port, min_forward_host_port));
}

std::string describe(const PortForward& forward) {
  return fmt::format("{} {} → {}", forward.protocol, forward.host_port, forward.guest_port);
}

}  // namespace banger
