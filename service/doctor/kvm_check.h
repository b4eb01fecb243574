#pragma once
#include "core/machine_config.h"

namespace banger::doctor {

// Whether KVM really runs a vCPU (vmm/qemu/kvm_probe.h), not just whether
// `device` opens. Without it QEMU falls back to TCG and Firecracker cannot run
// at all: a failure when Firecracker is the default backend, else a warning.
DoctorCheck kvm_check(const char* device, bool firecracker_is_default);

}  // namespace banger::doctor
