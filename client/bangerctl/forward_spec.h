#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bangerctl {

// A forward as the command line writes it: [tcp|udp:]HOST[:GUEST].
struct ForwardSpec {
  std::string protocol = "tcp";
  std::uint16_t host_port = 0;
  std::optional<std::uint16_t> guest_port;  // absent: the same as host_port
};

// Throws banger::client::Error(usage) naming the bad part. Ports are 1..65535
// here; the daemon decides what it accepts (host ports from 1024).
ForwardSpec parse_forward_spec(std::string_view text);

}  // namespace bangerctl
