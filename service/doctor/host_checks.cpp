#include "doctor/host_checks.h"

#include <exception>

#include "doctor/bridge_check.h"
#include "doctor/group_check.h"
#include "doctor/kvm_check.h"
#include "vmm/qemu/kvm_verdict.h"
#include "doctor/nftables_check.h"
#include "doctor/polkit_check.h"
#include "doctor/vmm_binaries.h"

namespace banger {

namespace {

// A check that throws (it should not) becomes its own failed line instead of ending Doctor.
template <typename Check>
void add(std::vector<DoctorCheck>& checks, const char* name, Check check) {
  try {
    checks.push_back(check());
  } catch (const std::exception& e) {
    checks.push_back({name, "fail", "the check itself failed", e.what(), ""});
  }
}

}  // namespace

void HostChecks::add_doctor_checks(std::vector<DoctorCheck>& checks) {
  const auto& s = settings_;
  add(checks, "kvm", [&] {
    return doctor::kvm_check("/dev/kvm", read_kvm_verdict(s.kvm_verdict_file, kvm_verdict_key(s.qemu)));
  });
  add(checks, "firecracker-version", [&] {
    return doctor::version_check("firecracker", s.firecracker, s.default_backend == "firecracker" ? "fail" : "warn");
  });
  add(checks, "jailer-version", [&] { return doctor::jailer_check(s.jailer); });
  add(checks, "qemu-version",
      [&] { return doctor::version_check("qemu", s.qemu, s.default_backend == "qemu" ? "fail" : "warn"); });
  add(checks, "bridge", [] { return doctor::bridge_check("/sys/class/net", doctor::make_scratch_bridge); });
  add(checks, "nftables", [] { return doctor::nftables_check(); });
  add(checks, "disk-space", [&] { return doctor::disk_space_check(s.state_dir, s.disk); });
  add(checks, "polkit", [&] {
    if (!s.polkit) return DoctorCheck{"polkit", "ok", "polkit is off ([daemon] polkit = false): only root may act", "", ""};
    return doctor::polkit_check("", std::chrono::milliseconds(500));
  });
  add(checks, "group", [] { return doctor::group_check("/etc/group"); });
}

}  // namespace banger
