#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "core/capability.h"
#include "core/host_networks.h"
#include "core/host_taps.h"
#include "core/vmm_backend.h"

namespace banger {

using BackendFactory = std::function<std::unique_ptr<VmmBackend>(const Config&)>;
using CapabilityFactory = std::function<std::shared_ptr<Capability>(const Config&)>;
using HostNetworksFactory = std::function<std::unique_ptr<HostNetworks>(const Config&)>;
using HostTapsFactory = std::function<std::unique_ptr<HostTaps>(const Config&)>;

// What a build adds to the daemon: its VMM backends by name (every one is
// available per VM; config [vmm] backend picks the default) and extra capabilities, run after the built-in ones. The tests'
// bangerd-test adds its stand-in backend here.
struct DaemonExtensions {
  std::map<std::string, BackendFactory> backends;
  std::vector<CapabilityFactory> capabilities;
  // Applies networks to the host (bridges, NAT). Unset: networks live in the
  // store and on the bus only, and the host is left alone (the tests' daemon).
  HostNetworksFactory host_networks;
  // Gives running VMs their taps (and with them NAT, DNS and SSH access).
  // Unset: VMs boot without a network interface (the tests' daemon).
  HostTapsFactory host_taps;
  // Where the host's boot id is read (autostart after a boot, core/autostart.h).
  // Empty: the kernel's. The tests' daemon names a file of theirs to simulate a reboot.
  std::filesystem::path boot_id_file;
};

// bangerd's main: parses the command line, loads the config, wires every
// service and capability once, exports the objects, then takes the bus name.
int run_daemon(int argc, char** argv, DaemonExtensions extensions);

}  // namespace banger
