#include "doctor/kvm_check.h"

#include <fmt/format.h>

#include "vmm/qemu/kvm_probe.h"

namespace banger::doctor {

DoctorCheck kvm_check(const char* device) {
  const auto probe = probe_kvm(device);
  if (probe.usable) return {"kvm", "ok", "KVM runs guests (a probe vCPU ran)", probe.reason, ""};
  return {"kvm", "warn",
          "KVM cannot run guests: QEMU falls back to TCG (slow), Firecracker cannot start VMs",
          fmt::format("{}: {}", device, probe.reason),
          "load kvm_intel or kvm_amd, enable virtualization in the firmware (or nested virtualization for a VM "
          "host), and give bangerd read-write access to /dev/kvm"};
}

}  // namespace banger::doctor
