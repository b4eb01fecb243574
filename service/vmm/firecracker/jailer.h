#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "config.h"
#include "core/machine_config.h"
#include "vmm/firecracker/jailer_ids.h"

namespace banger {

// Firecracker's jailer (docs/jailer.md): it chroots to
// <chroot_base>/<exec file name>/<id>/root, drops to uid/gid, puts the VMM in
// its cgroup and execs firecracker, keeping the pid (no --daemonize, no
// --new-pid-ns: banger's own detached spawn already gives it a session, and
// the pid must stay the one recorded in the handles). Everything firecracker
// opens must be inside the chroot, named by paths relative to it.

// <chroot_base>/<exec file name>/<vm id>: what the jail of one VM occupies.
std::filesystem::path jail_dir(const FirecrackerSettings& settings, const std::string& vm_id);
// jail_dir/root: what firecracker sees as "/".
std::filesystem::path jail_root(const FirecrackerSettings& settings, const std::string& vm_id);

// The API socket as firecracker names it inside the jail.
inline constexpr const char* jailed_api_socket = "/run/firecracker.socket";

// jailer --id … --exec-file … --uid … --gid … --chroot-base-dir … --cgroup-version …
// [--cgroup …]… -- --api-sock /run/firecracker.socket
// --uid/--gid are `owner` (the VM's own uid from JailerIds), or without one the
// configured fixed jailer_uid/jailer_gid.
std::vector<std::string> jailer_command_line(const FirecrackerSettings& settings, const std::string& vm_id,
                                             JailOwner owner);
std::vector<std::string> jailer_command_line(const FirecrackerSettings& settings, const std::string& vm_id);

// The machine as firecracker sees it in the jail: kernel, initrd and drives at
// fixed names in "/", runtime_dir "/" (its log and metrics files).
MachineConfig jailed_view(const MachineConfig& machine);

// Makes the jail's root with everything jailed_view() names: hard links of
// the kernel, initrd and drives (copies when on another file system), the
// log and metrics files and /run. The writable drives, the copies and what it
// creates are owned by `owner`; linked read-only files (the
// image's kernel, shared by VMs) keep their owner and must be readable by it.
// A stale jail of the same VM is removed first. On failure nothing is left.
void prepare_jail(const FirecrackerSettings& settings, const MachineConfig& machine, JailOwner owner);
void prepare_jail(const FirecrackerSettings& settings, const MachineConfig& machine);

// The fixed owner of [firecracker] jailer_uid/jailer_gid.
JailOwner configured_owner(const FirecrackerSettings& settings);
// Whom the jailed Firecracker of `vm_id` runs as: the VM's own uid from `ids` (held from its
// creation; acquire() returns it again), else, with no range configured, the fixed one.
JailOwner jail_owner_of(JailerIds* ids, const FirecrackerSettings& settings, const std::string& vm_id);

// Removes the whole jail of the VM (links and copies only: never the files
// they were made from). Idempotent, never throws.
void remove_jail(const std::filesystem::path& jail) noexcept;

}  // namespace banger
