#pragma once
#include "core/machine_config.h"

namespace banger::doctor {

// Whether libnftables can talk to the kernel (`list tables` in bangerd's
// network namespace): NAT and forwarding rules need it.
DoctorCheck nftables_check();

}  // namespace banger::doctor
