#pragma once
// A network's dnsmasq process (see dnsmasq_config.h for what it is told). It
// runs detached in a session of its own, like the VMMs, and outlives bangerd:
// a restarted bangerd adopts it by its pid file. Errors are
// Error(backend_failed) with the reason, dnsmasq's own words where it gave any.
#include <chrono>
#include <string>
#include <vector>

#include "net/dnsmasq_config.h"
#include "vmm/process.h"

namespace banger::net {

// Replaces the hosts file in one step (temporary file + rename), so dnsmasq
// never reads half of one.
void write_hosts_file(const DnsmasqFiles& files, const std::string& text);

// The dnsmasq running `command` (found by its pid file, the command line must
// match exactly) is adopted. A dnsmasq of this pid file with another command
// line (the gateway, domain or binary changed) is stopped first. Else one is
// started; it counts as started once it has bound its socket, written its pid
// file and loaded the hosts file, within `timeout`.
ProcessId ensure_dnsmasq(const std::vector<std::string>& command, const DnsmasqFiles& files,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

// SIGHUP: dnsmasq re-reads its hosts file and clears its cache. Returns once
// its log says it has (so the next query sees the new names); false when the
// process is gone or did not say so within `timeout`.
bool reload_dnsmasq(const ProcessId& process, const DnsmasqFiles& files,
                    std::chrono::milliseconds timeout = std::chrono::seconds(2));

// Stops the dnsmasq of this pid file (only when its command line names that pid
// file: a reused pid is never hit) and removes the files. Never throws.
void stop_dnsmasq(const DnsmasqFiles& files) noexcept;

}  // namespace banger::net
