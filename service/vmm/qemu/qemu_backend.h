#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "core/vmm_backend.h"
#include "vmm/qemu/kvm_verdict.h"

namespace banger {

// Runs each VM in its own QEMU process (machine type "microvm", virtio-mmio
// devices) and drives it over QMP. Handles (JSON) record the pid, its start
// time, the QMP socket, the runtime dir and the binary, so that a restarted
// bangerd re-finds the VMM and never mistakes a reused pid for it.
class QemuBackend final : public VmmBackend {
 public:
  explicit QemuBackend(QemuSettings settings);

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

  // "kvm" or "tcg": settings.accel, or for "auto" the KVM verdict, found with
  // `kernel` on first use (kvm_verdict.h) and kept for this host boot.
  std::string accelerator(const std::filesystem::path& kernel) const;
  KvmVerdict kvm_verdict(const std::filesystem::path& kernel) const;
  // The QEMU command line launch() runs, without the process spawning.
  std::vector<std::string> command_line(const MachineConfig& machine) const;

 private:
  std::vector<std::string> command_line(const MachineConfig& machine, const std::string& accel) const;

  QemuSettings settings_;
  mutable std::mutex verdict_mutex_;
  mutable std::optional<KvmVerdict> verdict_;
};

// The backend for bangerd's config: the KVM verdict kept in <runtime_dir>/kvm-verdict,
// which lasts as long as this boot of the host.
std::unique_ptr<VmmBackend> make_qemu_backend(const Config& config);

}  // namespace banger
