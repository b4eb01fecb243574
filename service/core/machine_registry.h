#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace banger {

// What systemd-machined is told about one running VM (issue 16): its name
// (the VM's, a DNS label already), its id (the VM's 128-bit id, or empty),
// the VMM process as its leader and the host side of its NIC (the tap).
struct MachineEntry {
  std::string name;
  std::string vm_id;
  pid_t leader = 0;
  std::vector<int> ifindices;
  // The VMM sits in a cgroup of its own already (its machine scope from an
  // earlier registration, or a jailed Firecracker's with jailer_cgroups):
  // registered where it is, since moving it would drop the jailer's limits.
  bool in_own_cgroup = false;
};

// The host's machine registry (org.freedesktop.machine1 on the system bus;
// host/machined_bus.h). Calls block for a D-Bus round trip, so callers keep
// them off Start's path. Both throw Error(backend_failed) saying why.
class MachineRegistry {
 public:
  virtual ~MachineRegistry() = default;
  // Why there is no registry to talk to ("" when there is).
  virtual std::string unavailable() = 0;
  // A machine of that name being there already counts as done: after a
  // bangerd restart the adopted VMs are registered again.
  virtual void register_machine(const MachineEntry& machine) = 0;
  // Forgets the machine without touching its processes; an unknown name is done.
  virtual void unregister_machine(const std::string& name) = 0;
};

}  // namespace banger
