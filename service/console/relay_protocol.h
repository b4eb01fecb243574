#pragma once
#include <filesystem>

#include "core/unique_fd.h"

namespace banger {

// The console relay of a running VM (banger-console-relay) and how bangerd
// talks to it. The relay owns a pty whose slave side is the VMM's serial
// console; it appends the guest's output to console.log and serves at most
// one interactive client on a Unix socket in the VM's runtime dir.

// <vm runtime dir>/console.sock: the relay's socket. Each connection is
// answered with one byte, relay_accepted or relay_busy; after relay_accepted
// the stream is the guest's serial console both ways.
inline constexpr const char* console_socket_name = "console.sock";
// <vm runtime dir>/console.tty: the pty slave's path, written by the relay
// once its socket listens (so its presence means "ready").
inline constexpr const char* console_tty_name = "console.tty";
inline constexpr char relay_accepted = '+';
inline constexpr char relay_busy = '-';

// Connects to the relay's socket and reads its answer. Returns the connected
// socket (blocking, close-on-exec). Throws Error(busy) when another client
// holds the console, Error(invalid_state) when no relay listens there.
UniqueFd connect_console_relay(const std::filesystem::path& socket);

}  // namespace banger
