#pragma once
#include <sys/types.h>

#include <vector>

#include "core/machine_registry.h"
#include "core/vm.h"

namespace banger::host {

// MachineRegistry over org.freedesktop.machine1 (systemd-machined).
//
// CreateMachineWithNetwork, not RegisterMachineWithNetwork: Register leaves
// the VMM in the cgroup it runs in, bangerd.service's, and machined takes that
// unit for the machine's, so `machinectl terminate VM` would stop
// bangerd.service itself. Create puts the VMM into a scope of its own,
// machine-NAME.scope, which terminate stops: the VMM gets SIGTERM, ends, and
// bangerd's exit watcher settles the VM as it does any VMM's own exit.
// UnregisterMachine, not TerminateMachine, when the VM stops: it forgets the
// machine without killing anything. A VMM in a cgroup of its own already
// (MachineEntry::in_own_cgroup: the jailer's) is registered where it is
// (RegisterMachineWithNetwork): machined then takes that cgroup's unit, if any.
class MachinedBus final : public MachineRegistry {
 public:
  std::string unavailable() override;
  void register_machine(const MachineEntry& machine) override;
  void unregister_machine(const std::string& name) override;
};

// What MachineRegistration asks about the host: the ifindex of the VM's tap
// (none without a network, or while the tap is missing) …
std::vector<int> tap_ifindices(const VmRecord& vm);
// … and whether process `pid` sits in a cgroup other than bangerd's and not
// the root one (MachineEntry::in_own_cgroup).
bool in_cgroup_of_its_own(pid_t pid);

}  // namespace banger::host
