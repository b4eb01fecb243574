#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/process.h"

namespace banger {

class QmpClient;

// Suspend to disk with QEMU (issue 19): the RAM and device state of a paused
// VMM migrated into a file ("migrate" to an fd), and a VMM launched with
// "-incoming defer" loading it back ("migrate-incoming" from an fd). QEMU 7.2
// (Debian 12) has no file: URI, and QEMU may run as a uid that reaches none of
// bangerd's directories anyway: bangerd opens the file itself and hands QEMU
// the descriptor over the QMP socket ("getfd", SCM_RIGHTS), write-only to save,
// read-only to load, so QEMU gets that one file and nothing else. bangerd never
// reads the file (it is guest memory): only QEMU does. Zero pages are sent as
// a flag, not a page: the file is about the size of the memory the guest used.

// The file save_qemu_state writes in its directory and load_qemu_state reads.
inline constexpr std::string_view qemu_state_file = "qemu.vmstate";

// A migration whose file position has not moved for this long is given up:
// a stall, however big the guest (a fixed total would be wrong for some size).
inline constexpr std::chrono::seconds qemu_migration_stall_timeout{30};

// What a state saved by the QEMU at `binary`, launched with `argv` (its
// command line, QemuBackend::command_line) under `accel`, needs in order to load
// again, as one line: QEMU's version (asked once per binary file, see
// qemu_version), the options that shape the device model (-M, -smp, -m,
// -accel, -cpu, -device) and, under KVM, the host CPU behind "-cpu host".
// Paths (drives, kernel, sockets) are left out: they are not in the state.
std::string qemu_saved_state_format(const std::filesystem::path& binary, const std::vector<std::string>& argv,
                                    const std::string& accel);

// The first line of `binary -version` ("QEMU emulator version 7.2.22 (Debian …)"),
// kept per binary file (path, inode, size, mtime), so that an upgrade is seen
// at once and an unchanged binary is asked once. Throws Error(backend_failed)
// when it cannot be asked: a guess would drop (or load) a state wrongly.
std::string qemu_version(const std::filesystem::path& binary);

// Writes the state of the paused VMM `vmm`, reached through `qmp`, to
// dir/qemu_state_file (created, 0600, synced to disk), and returns its size.
// The VMM stays, paused ("postmigrate"; "cont" would run it on). On failure
// the partial file is removed and Error(backend_failed, "qemu: could not save
// the state: …") thrown.
std::uint64_t save_qemu_state(QmpClient& qmp, const std::filesystem::path& dir, const ProcessId& vmm,
                              std::chrono::milliseconds stall_timeout = qemu_migration_stall_timeout);

// Loads dir/qemu_state_file into the VMM `vmm` (launched with -incoming defer
// and -S) and returns once it is loaded: the VMM is then "paused", and "cont"
// runs the guest on from where it was saved. QEMU exits when a state does not
// load; its reason, from `vmm_log`, is in the Error(backend_failed, "qemu: could
// not load the saved state: …") thrown.
void load_qemu_state(QmpClient& qmp, const std::filesystem::path& dir, const ProcessId& vmm,
                     const std::filesystem::path& vmm_log,
                     std::chrono::milliseconds stall_timeout = qemu_migration_stall_timeout);

}  // namespace banger
