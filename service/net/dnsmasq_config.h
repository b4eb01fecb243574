#pragma once
// What a network's dnsmasq is told, as data: its files under the runtime dir,
// its command line and its hosts table. No process is touched here.
#include <filesystem>
#include <string>
#include <vector>

#include "core/network.h"
#include "core/vm_attachment.h"

namespace banger::net {

// <runtime>/dns/<network>.{hosts,pid,log}. The runtime dir is a tmpfs, so no
// stale pid file survives a reboot; nothing here is under <runtime>/vms/,
// where bangerd kills processes it does not know.
struct DnsmasqFiles {
  std::filesystem::path hosts;
  std::filesystem::path pid;
  std::filesystem::path log;
};

DnsmasqFiles dnsmasq_files(const std::filesystem::path& runtime_dir, const std::string& network);

// One dnsmasq per network: a DNS server only (no DHCP, no /etc/hosts, no
// config file of the host's), listening on the gateway address of the bridge
// and nowhere else (not on lo, so networks never clash over 127.0.0.1:53).
// Names in the network's domain come from the hosts file and never leak
// upstream (unknown ones are NXDOMAIN); everything else is forwarded to the
// host's resolv.conf servers. It stays in the foreground (so the pid is the one
// spawned), drops root for nobody, and logs to stderr, i.e. to its log file.
std::vector<std::string> dnsmasq_command(const std::filesystem::path& binary, const NetworkRecord& network,
                                         const DnsmasqFiles& files);

// `<address> <name>.<domain> <name>` a line, in the order given.
std::string render_hosts(const std::vector<DnsEntry>& entries, const std::string& domain);

}  // namespace banger::net
