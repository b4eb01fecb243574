#pragma once
#include <optional>

#include "core/machine_config.h"
#include "vmm/qemu/kvm_probe.h"
#include "vmm/qemu/kvm_verdict.h"

namespace banger::doctor {

// Whether KVM really runs guests: a vCPU of the ioctl probe (vmm/qemu/kvm_probe.h),
// and where QEMU already tried, the boot probe's verdict (vmm/qemu/kvm_verdict.h):
// on hosts with broken nested virtualization the first passes and the second fails.
// Without KVM QEMU falls back to TCG and Firecracker cannot run: a warning, since
// the firecracker-vmm line decides whether the default backend works (a host
// without KVM may still run QEMU VMs).
DoctorCheck kvm_check(const char* device, const std::optional<KvmVerdict>& boot_verdict);
// The same, from probe results (for tests).
DoctorCheck kvm_check_from(const char* device, const KvmProbeResult& ioctl_probe,
                           const std::optional<KvmVerdict>& boot_verdict);

}  // namespace banger::doctor
