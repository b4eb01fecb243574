#pragma once
#include <cstdint>
#include <string>

#include "core/unique_fd.h"

namespace banger {

// Binds (never listens on) 0.0.0.0:port for `protocol` ("tcp" | "udp"), so no
// host program can take a forwarded port meanwhile: its own bind fails with
// EADDRINUSE instead of its clients silently landing in a VM. The forward's
// DNAT happens before local delivery, so this socket never sees a packet.
// No SO_REUSEADDR: with it on both sides Linux would let a second socket bind.
//
// Throws Error(busy) "host port <port>/<protocol> is in use on the host"
// when something else is bound there, Error(backend_failed) otherwise.
UniqueFd reserve_host_port(const std::string& protocol, std::uint16_t port);

}  // namespace banger
