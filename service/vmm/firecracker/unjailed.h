#pragma once
#include <filesystem>
#include <vector>

#include "core/unique_fd.h"
#include "core/machine_config.h"
#include "vmm/firecracker/jailer_ids.h"

namespace banger {

// Firecracker without the jailer, run as its VM's own uid (issue 17, finding
// 3): like QEMU, it reaches nothing of the host by path. bangerd's state and
// runtime directories stay closed to that uid; it gets descriptors, which it
// opens again as /proc/self/fd/N (Firecracker takes paths only):
//   3  the VM's vmm directory (<runtime dir>/vmm, the uid's, 0700): its API
//      socket, log and metrics, the only place it may create files;
//   4  the kernel, 5 the initrd when there is one (copies when the uid may
//      not read the image's files);
//   then each drive in order, the writable ones given to the uid (as the
//      jailer's chroot gives them), so that reopening them for writing works.

// The directory of the VMM's own files in a VM's runtime dir.
std::filesystem::path unjailed_vmm_dir(const std::filesystem::path& runtime_dir);
// Where Firecracker binds its API socket: inside descriptor 3.
std::filesystem::path unjailed_api_socket_argument();

// What the unjailed Firecracker is told, by the descriptor numbers above:
// runtime_dir is its vmm directory, kernel, initrd and drives /proc/self/fd/N.
MachineConfig unjailed_view(const MachineConfig& machine);

// Makes the vmm directory anew with an empty log and metrics file (Firecracker
// opens, never creates, them), all `owner`'s, and opens what unjailed_view
// names, in that order. Throws Error(backend_failed), leaving no vmm directory.
std::vector<UniqueFd> prepare_unjailed(const MachineConfig& machine, JailOwner owner);

}  // namespace banger
