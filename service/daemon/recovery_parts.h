#pragma once
#include <memory>
#include <vector>

#include "config.h"
#include "core/start_up_recovery.h"
#include "daemon/capability_set.h"
#include "daemon/managers.h"

namespace banger {

// The host's side of start-up recovery (core/start_up_recovery.h), in the
// order the parts run: first the sweeps of what a crash leaves behind (VMM
// processes no VM records, root-disk devices and taps of VMs that no longer
// run), then what follows the running VMs learns which they are (stats,
// host power, machined, forwards, the guests' ports). A part whose
// capability this bangerd lacks (taps, forwards, ports) is left out.
std::vector<std::shared_ptr<RecoveryPart>> recovery_parts(const Config& config, CapabilitySet& capabilities,
                                                          Managers& managers);

}  // namespace banger
