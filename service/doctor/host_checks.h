#pragma once
#include <filesystem>
#include <string>

#include "core/capability.h"
#include "doctor/disk_space_check.h"

namespace banger {

struct HostCheckSettings {
  std::filesystem::path firecracker, jailer, qemu;  // the configured binaries (jailer may be empty)
  std::string default_backend;
  std::filesystem::path state_dir;
  std::filesystem::path kvm_verdict_file;  // QEMU's (vmm/qemu/kvm_verdict.h)
  doctor::DiskThresholds disk;
  bool polkit = true;  // bangerd asks polkit (else only root may act, and polkit is not needed)
};

// The host-level lines of Manager.Doctor that belong to no VM capability:
// KVM, the VMM binaries' versions, bridges, nftables, free disk, polkit, the
// banger group. Every check is read-only, local and quick.
class HostChecks final : public Capability {
 public:
  explicit HostChecks(HostCheckSettings settings) : settings_(std::move(settings)) {}
  std::string_view name() const override { return "host-checks"; }
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override;

 private:
  HostCheckSettings settings_;
};

}  // namespace banger
