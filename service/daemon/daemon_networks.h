#pragma once
#include <memory>

#include "capabilities/dns_names.h"
#include "config.h"
#include "core/host_networks.h"
#include "core/host_taps.h"
#include "core/network_manager.h"
#include "daemon.h"
#include "daemon/daemon_bus.h"
#include "daemon/storage.h"

namespace banger {

// banger's networks, started (bridges up, NAT table rebuilt, dnsmasq adopted)
// before the capabilities and the VM recovery that need their bridges.
struct DaemonNetworks {
  DaemonNetworks(const Config& config, const DaemonExtensions& extensions, Storage& storage, DaemonBus& bus);
  DaemonNetworks(const DaemonNetworks&) = delete;
  DaemonNetworks& operator=(const DaemonNetworks&) = delete;

  std::unique_ptr<HostNetworks> host_networks;  // records only without DaemonExtensions::host_networks
  // None (the tests' daemon): VMs have no NIC, and the capabilities that need
  // one (tap, NAT, DNS, forwards, SSH, guest ports) are left out.
  std::unique_ptr<HostTaps> host_taps;
  std::shared_ptr<DnsNames> dns;  // with host taps only; a capability too (CapabilitySet::dns)
  NetworkManager manager;
};

}  // namespace banger
