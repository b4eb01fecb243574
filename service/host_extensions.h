#pragma once
#include "daemon.h"
#include "net/host_networks_netlink.h"
#include "net/host_taps_netlink.h"
#include "vmm/firecracker/firecracker_backend.h"
#include "vmm/qemu/qemu_backend.h"

namespace banger {

// The VMM backends this build offers ([vmm] backend in the config picks the
// default), and networks applied to the host through netlink and nftables,
// with a tap per running VM.
inline DaemonExtensions host_extensions() {
  DaemonExtensions extensions;
  extensions.backends["firecracker"] = make_firecracker_backend;
  extensions.backends["qemu"] = make_qemu_backend;
  extensions.host_networks = [](const Config&) { return std::make_unique<net::NetlinkHostNetworks>(); };
  extensions.host_taps = [](const Config&) { return std::make_unique<net::NetlinkHostTaps>(); };
  return extensions;
}

}  // namespace banger
