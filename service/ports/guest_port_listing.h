#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

#include "core/guest_ports.h"

namespace banger {

// The one command the port poller runs in a guest (busybox sh, as root): the
// kernel's socket tables (/proc/net/{tcp,tcp6,udp,udp6}) and every process's
// name, each line prefixed with its file by grep, then every process's open
// descriptors (ls -l names the socket inodes), then an end marker, so a
// listing cut short by a lost connection is never taken for a complete one.
// Three processes a poll, whatever the number of guest processes.
extern const char* const guest_port_listing_command;

// A kernel names a process in at most 15 bytes (TASK_COMM_LEN); a guest's own
// kernel may say more, and 256 ports are more than a guest serves knowingly.
inline constexpr std::size_t guest_ports_max = 256;
inline constexpr std::size_t guest_port_process_max = 64;

// The listening sockets in `listing` (the command's output): TCP in state
// LISTEN, UDP unbound to a peer with a local port, each mapped to the name of
// the lowest-numbered process holding it. Sockets bound only to a loopback
// address (127.0.0.0/8, ::1, ::ffff:127.x) are left out: nothing outside the
// guest reaches them, so they are neither shown nor forwarded. A port open on
// IPv4 and IPv6 (or on several addresses) is listed once. Sorted.
// A guest chooses all of it, and VM.Ports is broadcast on every change: at most
// the first guest_ports_max ports are kept, each process name cut to
// guest_port_process_max bytes of valid UTF-8 (issue 17, extra C).
// Error(backend_failed) when the listing lacks its end marker.
std::vector<GuestPort> parse_guest_port_listing(std::string_view listing);

}  // namespace banger
