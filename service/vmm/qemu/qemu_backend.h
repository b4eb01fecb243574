#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "core/vmm_backend.h"
#include "vmm/firecracker/jailer_ids.h"
#include "vmm/qemu/kvm_verdict.h"
#include "vmm/qemu/qemu_files.h"
#include "vmm/unprivileged_exec.h"

namespace banger {

// Runs each VM in its own QEMU process (machine type "microvm", virtio-mmio
// devices) and drives it over QMP. Handles (JSON) record the pid, its start
// time, the QMP socket, the runtime dir and the binary, so that a restarted
// bangerd re-finds the VMM and never mistakes a reused pid for it.
//
// Least privilege (issue 17, finding 3): each VM's QEMU runs as the VM's own
// uid from `ids` (the allocator jailed Firecracker VMs use), or without one
// as `fixed`; never as root unless both are missing or 0. It starts
// unprivileged (no QEMU code runs as root), with no capabilities, with the
// group owning /dev/kvm as its only supplementary group, and under QEMU's
// seccomp sandbox; its disks, kernel, console and QMP socket are descriptors
// bangerd opened (QemuFiles), its tap is owned by the uid (TapDevice).
class QemuBackend final : public VmmBackend {
 public:
  explicit QemuBackend(QemuSettings settings, std::shared_ptr<JailerIds> ids = nullptr, JailOwner fixed = {0, 0});

  std::string_view name() const override { return "qemu"; }
  // bzImage: QEMU's -kernel loads it directly (with -initrd).
  std::string_view kernel_file() const override { return "vmlinuz"; }
  std::string unavailable() const override;
  std::string launch(const MachineConfig& machine) override;
  void configure(const std::string& handles, const MachineConfig& machine) override;
  void start(const std::string& handles) override;
  void stop(const std::string& handles, std::chrono::milliseconds timeout) override;
  void kill(const std::string& handles) override;
  void pause(const std::string& handles) override;
  // Also the only way out of "paused": QEMU pauses by itself on a KVM error.
  void resume(const std::string& handles) override;
  // A guest stopped by a KVM internal error never runs again: its QEMU is
  // killed and the VM reported as exited.
  VmmStatus status(const std::string& handles) override;
  bool adopt(const std::string& handles) override;
  // accel = "auto" and the VMM ran under KVM: the verdict turns against KVM.
  bool fall_back_after_failed_start(const std::string& handles) override;
  // Suspend to disk (qemu_migration.h): QEMU's version, the device model and
  // the accelerator; the state is QEMU's migration stream in one file. A
  // machine with restore_from is launched with -incoming defer and loaded by configure().
  std::string saved_state_format(const MachineConfig& machine) const override;
  std::uint64_t save_state(const std::string& handles, const std::filesystem::path& dir) override;

  // "kvm" or "tcg": settings.accel, or for "auto" the KVM verdict, found with
  // `kernel` on first use (kvm_verdict.h) and kept for this host boot.
  std::string accelerator(const std::filesystem::path& kernel) const;
  KvmVerdict kvm_verdict(const std::filesystem::path& kernel) const;
  // The QEMU command line launch() runs as root (files named by path), without the process spawning.
  std::vector<std::string> command_line(const MachineConfig& machine) const;
  // Whom the QEMU of `vm_id` runs as; nullopt: as bangerd, root (no uid range and no fixed uid configured).
  std::optional<VmmUser> vmm_user(const std::string& vm_id) const;
  // Whom the KVM boot probe runs as; nullopt when the VMs' QEMU runs as root.
  std::optional<VmmUser> probe_user() const;

 private:
  std::vector<std::string> command_line(const MachineConfig& machine, const std::string& accel, QemuFiles& files) const;

  QemuSettings settings_;
  std::shared_ptr<JailerIds> ids_;
  JailOwner fixed_;
  mutable std::mutex verdict_mutex_;
  mutable std::optional<KvmVerdict> verdict_;
};

// The backend for bangerd's config: the KVM verdict kept in <runtime_dir>/kvm-verdict,
// which lasts as long as this boot of the host.
std::unique_ptr<VmmBackend> make_qemu_backend(const Config& config);

}  // namespace banger
