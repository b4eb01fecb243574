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
//      jailer's chroot gives them), so that reopening them for writing works;
//   last, for a restore (machine.restore_from), the saved state file and the
//      memory file, read-only (it never writes them: it maps the memory
//      privately). After the drives, so that the drives keep the numbers, and
//      so the paths, they had when the state was saved: Firecracker reopens
//      each drive at the path the state recorded.

// The directory of the VMM's own files in a VM's runtime dir.
std::filesystem::path unjailed_vmm_dir(const std::filesystem::path& runtime_dir);
// Where Firecracker binds its API socket: inside descriptor 3.
std::filesystem::path unjailed_api_socket_argument();
// The vmm directory as the VMM names it (descriptor 3).
std::filesystem::path unjailed_vmm_dir_argument();

// A restore's saved state and memory files as the VMM names them (the
// descriptors after the drives).
struct UnjailedSavedState {
  std::filesystem::path state, memory;
};
UnjailedSavedState unjailed_saved_state_view(const MachineConfig& machine);

// What the unjailed Firecracker is told, by the descriptor numbers above:
// runtime_dir is its vmm directory, kernel, initrd and drives /proc/self/fd/N.
MachineConfig unjailed_view(const MachineConfig& machine);

// Makes the vmm directory anew with an empty log and metrics file (Firecracker
// opens, never creates, them), all `owner`'s, and opens what unjailed_view
// names, in that order, then for a restore the saved files when they are there
// (a state that is not fails the load, in configure(), where the caller
// expects it, not the launch). Throws Error(backend_failed), leaving no vmm directory.
std::vector<UniqueFd> prepare_unjailed(const MachineConfig& machine, JailOwner owner);

}  // namespace banger
