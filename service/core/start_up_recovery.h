#pragma once
#include <memory>
#include <string_view>
#include <vector>

#include "core/vmm_handles.h"
#include "core/vm.h"

namespace banger {

class ImageManager;
class VmManager;

// The VMs as VmManager::recover() settled them, read afresh for each part:
// a VMM that ends meanwhile is settled by the exit watcher, not by recovery.
struct RecoveredVms {
  std::vector<VmRecord> vms;
  std::vector<VmmProcess> recorded_vmms;  // the VMM processes the VMs' handles files name
};

// Whether a VM in `state` may have a VMM process: its host resources
// (root-disk devices, tap) are in use then, and a sweep leaves them be.
bool vmm_may_run(VmState state);

// A part of the host that start-up recovery brings in line with the settled
// VMs. Implemented outside core (VMM processes, root-disk devices, taps, the
// services that follow running VMs), so core names none of their types. Each
// hook has a do-nothing default, so a part overrides only what it needs.
// What a hook throws ends the start-up, like any other failure before the
// bus name is taken.
class RecoveryPart {
 public:
  virtual ~RecoveryPart() = default;
  virtual std::string_view name() const = 0;

  // Removes what the host still holds for VMs that no longer run: a bangerd
  // killed halfway through an operation leaves processes, devices and taps.
  virtual void sweep(const RecoveredVms& recovered) {}
  // Starts following the VMs recovery adopted, whose VMMs run already: no
  // VmEvents told of them.
  virtual void follow(const std::vector<VmRecord>& vms) {}
};

// What recover_at_start_up returns and exporting the objects asks for, so
// that exporting cannot come first (daemon/exported_objects.h).
class StartUpRecovered {
  friend StartUpRecovered recover_at_start_up(VmManager&, ImageManager&,
                                              const std::vector<std::shared_ptr<RecoveryPart>>&);
  StartUpRecovered() = default;
};

// bangerd's start-up, before any object is exported, in this order:
//   1. VmManager::recover(): half-made VMs go, the VMMs that survived are
//      adopted, the VMs whose VMMs did not are settled;
//   2. every part's sweep, in the order given: only now is it known which VMs
//      still run, and so what is left over;
//   3. every part's follow, in the order given, on the host as swept;
//   4. ImageManager::recover(): imports a killed bangerd left halfway.
[[nodiscard]] StartUpRecovered recover_at_start_up(VmManager& vms, ImageManager& images,
                                                   const std::vector<std::shared_ptr<RecoveryPart>>& parts);

}  // namespace banger
