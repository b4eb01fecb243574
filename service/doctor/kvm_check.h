#pragma once
#include "core/machine_config.h"

namespace banger::doctor {

// Whether KVM really runs a vCPU (vmm/qemu/kvm_probe.h), not just whether
// `device` opens. Without it QEMU falls back to TCG and Firecracker cannot run:
// a warning, since the firecracker-vmm line decides whether the default
// backend works (a host without KVM may still run QEMU VMs).
DoctorCheck kvm_check(const char* device);

}  // namespace banger::doctor
