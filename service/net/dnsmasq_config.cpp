#include "net/dnsmasq_config.h"

#include <fmt/format.h>

namespace banger::net {

DnsmasqFiles dnsmasq_files(const std::filesystem::path& runtime_dir, const std::string& network) {
  const auto dir = runtime_dir / "dns";
  return {dir / (network + ".hosts"), dir / (network + ".pid"), dir / (network + ".log")};
}

std::vector<std::string> dnsmasq_command(const std::filesystem::path& binary, const NetworkRecord& network,
                                         const DnsmasqFiles& files) {
  return {
      binary.string(),
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--bind-interfaces",
      "--interface=" + network.bridge,
      "--except-interface=lo",
      "--listen-address=" + network.gateway,
      "--no-dhcp-interface=" + network.bridge,
      "--no-hosts",
      "--addn-hosts=" + files.hosts.string(),
      fmt::format("--local=/{}/", network.dns_domain),
      "--domain=" + network.dns_domain,
      "--pid-file=" + files.pid.string(),
      "--user=nobody",
      "--log-facility=-",
  };
}

std::string render_hosts(const std::vector<DnsEntry>& entries, const std::string& domain) {
  std::string text;
  for (const auto& entry : entries) text += fmt::format("{} {}.{} {}\n", entry.address, entry.name, domain, entry.name);
  return text;
}

}  // namespace banger::net
