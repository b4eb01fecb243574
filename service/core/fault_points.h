#pragma once
// Named fault points: places where a test may have bangerd die with SIGKILL,
// to prove that a daemon killed at any moment comes back whole (tests/crash/).
//
//   BANGER_FAULT_POINT("create.record-inserted");
//
// With the build's fault points on (meson option fault_points; off in release
// builds and Debian packages, where the macro is a compile-time check only) a
// point reads $BANGER_FAULT_KILL_AT once: "name" kills at the point's first
// hit, "name@N" at its N-th. bangerd writes "bangerd: fault point <name> hit"
// to stderr first, so the test knows the point was reached.
//
// Every point is listed here: the crash test walks the list, and a point used
// but not listed does not compile (a unit test checks the converse).
#include <string_view>

#include "banger_build_config.h"

namespace banger::fault {

inline constexpr std::string_view points[] = {
    // CreateVM (VmManager, Capabilities, the capabilities' provision)
    "create.record-inserted",
    "create.provision-begun",
    "create.capability-provisioned",  // after each capability: @N picks the N-th
    "create.directories-made",
    "create.root-disk-copying",
    "create.root-disk-copied",
    "create.work-disk-made",
    "create.address-leased",
    "create.dns-entry-written",
    "create.record-committed",
    // StartVM
    "start.state-starting",
    "start.capability-prepared",  // after each capability's prepare_host: @N
    "start.tap-made",
    "start.before-vmm-spawn",
    "start.vmm-spawned",
    "start.handles-written",
    "start.vmm-configured",
    "start.vmm-booted",
    "start.before-state-commit",
    // StopVM
    "stop.state-stopping",
    "stop.vmm-stopped",
    "stop.vmm-forgotten",
    "cleanup.capability-done",  // after each capability's cleanup (stop, delete, failures): @N
    "stop.before-state-commit",
    // Suspend (VM.Suspend) and the restore of a suspended VM (its Start)
    "suspend.before-save",
    "suspend.before-manifest",
    "suspend.state-saved",
    "suspend.vmm-ended",
    "restore.state-loaded",
    // Named checkpoints (VM.Snapshot, Snapshot.Restore, Snapshot.Delete)
    "snapshot.before-save",
    "snapshot.memory-saved",
    "snapshot.disks-copied",
    "snapshot.before-record",
    "snapshot.recorded",
    "snapshot.row-deleted",
    "restore.vm-stopped",
    "restore.disks-copied",
    "restore.state-installed",
    // DeleteVM
    "delete.vmm-killed",
    "delete.before-cleanup",
    "delete.cleaned",
    "delete.row-deleted",
    // Clone
    "clone.record-inserted",
    "clone.capability-provisioned",  // @N
    "clone.root-disk-copied",
    "clone.work-disk-copied",
    "clone.before-commit",
    // Snapshot.Clone, cold: a new VM from a checkpoint's disks (the clone.* points above on the way)
    "checkpoint-clone.provisioned",
    // PushWorkspace into a stopped VM's work disk
    "workspace.disk-mounted",
    "workspace.staged",
    "workspace.committed",
    // CreateNetwork
    "network.record-inserted",
    "network.bridge-made",
    "network.nat-applied",
    "network.dnsmasq-started",
};

consteval bool is_listed(std::string_view name) {
  for (auto point : points)
    if (point == name) return true;
  return false;
}

// Dies (SIGKILL) when $BANGER_FAULT_KILL_AT names this hit of `name`.
void reached(std::string_view name) noexcept;

}  // namespace banger::fault

#if BANGER_FAULT_POINTS
#define BANGER_FAULT_POINT(name)                                                       \
  do {                                                                                 \
    static_assert(::banger::fault::is_listed(name), "fault point not listed: " name); \
    ::banger::fault::reached(name);                                                    \
  } while (0)
#else
#define BANGER_FAULT_POINT(name) static_assert(::banger::fault::is_listed(name), "fault point not listed: " name)
#endif
