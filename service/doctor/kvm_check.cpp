#include "doctor/kvm_check.h"

#include <fmt/format.h>

namespace banger::doctor {

namespace {

constexpr const char* no_kvm = "KVM cannot run guests: QEMU falls back to TCG (slow), Firecracker cannot start VMs";

}  // namespace

DoctorCheck kvm_check_from(const char* device, const KvmProbeResult& ioctl_probe,
                           const std::optional<KvmVerdict>& boot_verdict) {
  if (!ioctl_probe.usable)
    return {"kvm", "warn", no_kvm, fmt::format("{}: {}", device, ioctl_probe.reason),
            "load kvm_intel or kvm_amd, enable virtualization in the firmware (or nested virtualization for a VM "
            "host), and give bangerd read-write access to /dev/kvm"};
  if (!boot_verdict)
    return {"kvm", "ok", "KVM runs a probe vCPU; the first QEMU start with accel = \"auto\" boots a probe guest to confirm",
            ioctl_probe.reason, ""};
  if (boot_verdict->usable) return {"kvm", "ok", "KVM runs guests (a probe guest booted under KVM)", boot_verdict->reason, ""};
  return {"kvm", "warn", "KVM runs a probe vCPU but not a guest: QEMU uses TCG (slow), Firecracker cannot start VMs",
          boot_verdict->reason,
          "the host's (nested) virtualization is incomplete: enable full nested virtualization on the outer host, "
          "or keep TCG ([qemu] accel = \"tcg\" says so explicitly)"};
}

DoctorCheck kvm_check(const char* device, const std::optional<KvmVerdict>& boot_verdict) {
  return kvm_check_from(device, probe_kvm(device), boot_verdict);
}

}  // namespace banger::doctor
