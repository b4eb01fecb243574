#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "config.h"
#include "core/vmm_backend.h"

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

  // "kvm" or "tcg": settings.accel, or for "auto" what probe_kvm() found
  // (probed once per process).
  std::string accelerator() const;
  // The QEMU command line launch() runs, without the process spawning.
  std::vector<std::string> command_line(const MachineConfig& machine) const;

 private:
  QemuSettings settings_;
};

}  // namespace banger
