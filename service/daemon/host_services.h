#pragma once
#include <memory>

#include "capabilities/authorized_keys_guest.h"
#include "capabilities/guest_host_keys.h"
#include "capabilities/ssh_key_pair.h"
#include "config.h"
#include "core/console_logs.h"
#include "core/host_power.h"
#include "core/worker_pool.h"
#include "daemon/daemon_bus.h"
#include "daemon/daemon_networks.h"
#include "host/logind_bus.h"
#include "host/machined_bus.h"
#include "net/tap_guard_table.h"
#include "ports/guest_port_poller.h"
#include "vmm/firecracker/jailer_ids.h"

namespace banger {

// What bangerd keeps of the host and of the guests beside the VMs' records,
// made before the capabilities that use it.
struct HostServices {
  HostServices(const Config& config, DaemonBus& bus, DaemonNetworks& networks);
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  ConsoleLogs consoles;
  // machined and logind (issue 16): every call to them on one thread of their own, in order,
  // so neither a Start nor the bus thread ever waits for them. Ended before what its jobs use.
  std::unique_ptr<WorkerPool> host_thread;
  HostPower::Post on_host_thread;  // drops the job once host_thread is gone
  host::MachinedBus machined;
  host::LogindBus logind;
  // bangerd's own SSH key: installed in guests, used for the SSH wait and workspace transfers.
  SshKeyPair ssh_key;
  // Each VM's own uid, held from create to delete (issue 8), which its VMM runs as, QEMU or
  // Firecracker, jailed or not (issue 17, finding 3). One range, one set of claims.
  std::shared_ptr<JailerIds> vmm_ids;
  TapGuardTable tap_guards;  // each tap's MAC and address pinned, the default network's ports apart
  // Each guest's pinned SSH host key, checked by every session bangerd opens to it.
  GuestHostKeys host_keys;
  // The guests' listening ports (VM.Ports), polled over SSH; only VMs on a network are polled.
  GuestPortPoller port_poller;
  // Users' keys reach only guests bangerd itself can log in to (with host taps);
  // without, they are just stored and this is null.
  std::unique_ptr<SshGuestShell> guest_shell;
};

}  // namespace banger
