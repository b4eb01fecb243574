#include "daemon.h"
#include "net/host_networks_netlink.h"
#include "net/host_taps_netlink.h"
#include "vmm/firecracker/firecracker_backend.h"
#include "vmm/qemu/qemu_backend.h"

// The VMM backends this build offers ([vmm] backend in the config picks the
// default), and networks applied to the host through netlink and nftables,
// with a tap per running VM.
int main(int argc, char** argv) {
  banger::DaemonExtensions extensions;
  extensions.backends["firecracker"] = [](const banger::Config& c) {
    return std::make_unique<banger::FirecrackerBackend>(c.firecracker);
  };
  extensions.backends["qemu"] = [](const banger::Config& c) { return std::make_unique<banger::QemuBackend>(c.qemu); };
  extensions.host_networks = [](const banger::Config&) { return std::make_unique<banger::net::NetlinkHostNetworks>(); };
  extensions.host_taps = [](const banger::Config&) { return std::make_unique<banger::net::NetlinkHostTaps>(); };
  return banger::run_daemon(argc, argv, std::move(extensions));
}
