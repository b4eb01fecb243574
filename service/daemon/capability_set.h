#pragma once
#include <memory>
#include <vector>

#include "capabilities/authorized_keys.h"
#include "capabilities/console_relay.h"
#include "capabilities/dns_names.h"
#include "capabilities/guest_ports.h"
#include "capabilities/logind_check.h"
#include "capabilities/machine_registration.h"
#include "capabilities/nat_access.h"
#include "capabilities/network_address.h"
#include "capabilities/port_forwards.h"
#include "capabilities/ssh_access.h"
#include "capabilities/tap_device.h"
#include "capabilities/vm_directories.h"
#include "capabilities/work_disk.h"
#include "config.h"
#include "core/capabilities.h"
#include "core/vmm_backends.h"
#include "daemon.h"
#include "daemon/daemon_bus.h"
#include "daemon/daemon_networks.h"
#include "daemon/host_services.h"
#include "daemon/storage.h"
#include "doctor/host_checks.h"

namespace banger {

// What the capabilities are made from.
struct CapabilityInputs {
  const Config& config;
  DaemonExtensions& extensions;
  const VmmBackends& backends;
  Storage& storage;
  DaemonBus& bus;
  DaemonNetworks& networks;
  HostServices& host;
};

// Every capability of this bangerd, each by its type for the parts of the
// daemon that use it beyond its hooks (recovery, the bus objects), and all of
// them as the Capabilities the VmManager runs, in capability_order()
// (daemon/capability_order.h). A member is null (or empty) when the build or
// the config leaves that capability out.
struct CapabilitySet {
  explicit CapabilitySet(const CapabilityInputs& in);
  CapabilitySet(const CapabilitySet&) = delete;
  CapabilitySet& operator=(const CapabilitySet&) = delete;

  std::shared_ptr<VmDirectories> directories;
  std::shared_ptr<ConsoleRelayCapability> console_relay;  // none without an executable [console] relay
  std::vector<std::shared_ptr<Capability>> image_files;   // one per backend that boots a kernel
  std::vector<std::shared_ptr<Capability>> vmm_uids;      // each VM's own uid for its VMM (Firecracker, QEMU), where configured
  std::shared_ptr<WorkDisk> work_disk;
  std::shared_ptr<NetworkAddress> network_address;
  // With host taps only (DaemonNetworks::host_taps):
  std::shared_ptr<TapDevice> taps;
  std::shared_ptr<NatAccess> nat;
  std::shared_ptr<DnsNames> dns;
  std::shared_ptr<PortForwards> forwards;
  std::shared_ptr<SshAccess> ssh_access;
  std::shared_ptr<GuestPorts> guest_ports;
  // Always:
  std::shared_ptr<AuthorizedKeys> authorized_keys;
  std::shared_ptr<MachineRegistration> machines;
  std::shared_ptr<LogindCheck> logind_check;
  std::shared_ptr<HostChecks> host_checks;
  std::vector<std::shared_ptr<Capability>> extensions;  // DaemonExtensions::capabilities

  Capabilities in_order;  // last: made of the members above
};

}  // namespace banger
