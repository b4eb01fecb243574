#pragma once
#include <memory>

#include "capabilities/disk_ledger.h"

#include "capabilities/guest_clock_ssh.h"
#include "config.h"
#include "core/autostart_marker.h"
#include "core/host_power.h"
#include "core/image_manager.h"
#include "core/vm_events_fanout.h"
#include "core/vm_manager.h"
#include "core/vm_manager_power_control.h"
#include "core/vm_sessions.h"
#include "core/vmm_backends.h"
#include "daemon/capability_set.h"
#include "daemon/daemon_bus.h"
#include "daemon/host_services.h"
#include "daemon/storage.h"
#include "daemon/wake_host.h"
#include "stats/stats_poller.h"
#include "vmm/exit_watcher.h"
#include "core/workspace_locks.h"

namespace banger {

// The VmManager and the ImageManager, with what follows the VMs' events: the
// bus objects, the live stats, the autostart marker, and host sleep and
// shutdown (HostPower).
//
// HostPower is a true cycle: it follows the VmManager's events and tells the
// VmManager to pause, resume and stop VMs, so one of the two must exist
// before the other. It is made after the VmManager and joins the events in
// this constructor, the second phase of a two-phase construction the type
// enforces: the fanout is private, so nothing outside can add to it, and
// nothing outside can reach the VmManager (to make it emit, or hand it a
// VMM's exit) before the constructor has returned.
// (The readers of a VM's VMM process, SshAccess, MachineRegistration and the
// stats poller, were no cycle: they need the handles files, not the
// VmManager, and read them from Storage.)
class Managers {
 public:
  Managers(const Config& config, VmmBackends& backends, Storage& storage, DaemonBus& bus, HostServices& host,
           CapabilitySet& capabilities);
  Managers(const Managers&) = delete;
  Managers& operator=(const Managers&) = delete;

  ExitWatcher exits;
  WorkspaceLocks workspace_locks;
  stats::StatsPoller stats_poller;
  AutostartMarker autostart_marker;  // banger-autostart.service's condition
  HostDiskLedger disk_ledger;  // [quotas] max_disk_mib: image rootfs sizes and kept work disks
  VmSessions sessions;  // workspace transfers and consoles, for idle sleep

 private:
  VmEventsFanout events_;

 public:
  // Guests' clocks are set after the host sleeps and after a restore, where bangerd can log in to them.
  std::unique_ptr<SshGuestClock> guest_clock;
  VmManager vms;
  VmManagerPowerControl power_control;
  HostPower host_power;
  ImageManager images;
  WakeHost wake;  // wake-on-connect: follows the VMs' events, starts suspended ones
};

}  // namespace banger
