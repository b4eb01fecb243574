#pragma once
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "vmm/qemu/kvm_probe.h"
#include "vmm/unprivileged_exec.h"

namespace banger {

// Whether QEMU's "auto" accelerator may be KVM. The ioctl probe (kvm_probe.h)
// shows that a vCPU runs a few instructions; on hosts with nested
// virtualization that is not enough: QEMU's Linux guest then aborts
// (kvm_buf_set_msrs) or hangs after its first lines. So KVM is trusted only
// once the real QEMU binary booted a real kernel under -accel kvm.
struct KvmVerdict {
  bool usable = false;
  std::string reason;  // for the journal and Doctor
};

// Where bangerd keeps the verdict: in its runtime directory, which lasts one boot of the host.
inline std::filesystem::path kvm_verdict_file_in(const std::filesystem::path& runtime_dir) {
  return runtime_dir / "kvm-verdict";
}

// Boots `kernel` under `qemu -accel kvm` with no root disk: a kernel that runs
// on KVM gets as far as "Kernel panic - not syncing" (no root), and -no-reboot
// then ends QEMU. Anything else within `timeout` (an abort, a hang, no panic)
// is a verdict against KVM. `scratch` is a writable directory for the serial
// output; the probe removes its file. Throws Error(backend_failed) when `kernel`
// cannot be read: that is no verdict about KVM.
// With `as`, QEMU runs as that user, as the VMs' QEMU does (issue 17, finding
// 3: no QEMU runs as root, and the verdict is about what an unprivileged QEMU
// may do with /dev/kvm): through setpriv, with a copy of the kernel in a
// directory of the user's own under `scratch`.
KvmVerdict boot_probe_kvm(const std::filesystem::path& qemu, const std::filesystem::path& kernel,
                          const std::filesystem::path& scratch, std::chrono::milliseconds timeout,
                          const VmmUser* as = nullptr);

// The verdict for `qemu` and this boot of the host: the ioctl probe first (no
// /dev/kvm or no vCPU: TCG without booting anything), then the boot probe.
KvmVerdict decide_kvm(const KvmProbeResult& ioctl_probe, const std::filesystem::path& qemu,
                      const std::filesystem::path& kernel, const std::filesystem::path& scratch,
                      std::chrono::milliseconds timeout, const VmmUser* as = nullptr);

// What a verdict holds for: this boot of the host (its boot id) and this QEMU
// binary (its path, size and modification time: an upgrade gets probed again).
std::string kvm_verdict_key(const std::filesystem::path& qemu,
                            const std::filesystem::path& boot_id_source = "/proc/sys/kernel/random/boot_id");

// The verdict recorded in `file` for `key`, if any (a stale or unreadable file is no verdict).
std::optional<KvmVerdict> read_kvm_verdict(const std::filesystem::path& file, const std::string& key);
// Records a verdict (atomically); failures are logged, not thrown: the verdict
// still holds for this process.
void write_kvm_verdict(const std::filesystem::path& file, const std::string& key, const KvmVerdict& verdict);

}  // namespace banger
