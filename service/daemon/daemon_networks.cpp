#include "daemon/daemon_networks.h"

#include "daemon_parts.h"
#include "net/resolved_bus.h"

namespace banger {

namespace {

std::shared_ptr<DnsNames> dns_names(const Config& config, const HostTaps* host_taps, Storage& storage) {
  if (host_taps == nullptr) return nullptr;
  return std::make_shared<DnsNames>(storage.attachments, config.runtime_dir, config.dnsmasq,
                                    std::make_shared<net::ResolvedBus>());
}

}  // namespace

DaemonNetworks::DaemonNetworks(const Config& config, const DaemonExtensions& extensions, Storage& storage,
                               DaemonBus& bus)
    : host_networks(extensions.host_networks ? extensions.host_networks(config) : unapplied_host_networks()),
      host_taps(extensions.host_taps ? extensions.host_taps(config) : nullptr),
      dns(dns_names(config, host_taps.get(), storage)),
      manager({storage.store, *host_networks, bus.registry, dns.get()}, config.default_subnet) {
  manager.start();
}

}  // namespace banger
