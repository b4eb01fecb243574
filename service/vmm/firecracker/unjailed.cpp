#include "vmm/firecracker/unjailed.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"
#include "vmm/firecracker/saved_state.h"
#include "vmm/handed_file.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

constexpr int vmm_dir_fd = 3;

std::string passed(int fd) { return fmt::format("/proc/self/fd/{}", fd); }

[[noreturn]] void fail(const std::string& doing) {
  throw Error(ErrorKind::backend_failed, fmt::format("firecracker: {}: {}", doing, strerror(errno)));
}

UniqueFd open_or_fail(const fs::path& path, int flags, mode_t mode = 0) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
  if (!fd.valid()) fail("cannot open " + path.string());
  return fd;
}

void give(int fd, JailOwner owner, const fs::path& path) {
  if (fchown(fd, owner.uid, owner.gid) != 0) fail(fmt::format("cannot give {} to uid {}", path.string(), owner.uid));
}

// The drive as the VMM may open it: a writable one becomes the uid's (its VM's
// alone: the uid is the VM's from create to delete); a read-only one goes as it
// is when the uid may read it, else as a sealed copy in memory (banger gives
// no VM a read-only drive today; a large one would want the jailer's link).
// Only regular files: a device node (a dm-snapshot root disk) outlives the VM
// and its number is given to the next device, so handing it to the VM's uid
// would hand that uid some later VM's disk.
UniqueFd drive_for(const DriveConfig& drive, JailOwner owner) {
  UniqueFd fd = open_or_fail(drive.path, drive.read_only ? O_RDONLY : O_RDWR);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) fail("cannot read " + drive.path.string());
  if (!S_ISREG(st.st_mode))
    throw Error(ErrorKind::backend_failed,
                fmt::format("firecracker without its jailer runs as the VM's uid and takes file drives only: {} "
                            "is a device (the dm-snapshot root disk strategy); use the jailer or another strategy",
                            drive.path.string()));
  if (drive.read_only) return readable_for(drive.path, owner.uid, "firecracker");
  give(fd.get(), owner, drive.path);
  return fd;
}

}  // namespace

fs::path unjailed_vmm_dir(const fs::path& runtime_dir) { return runtime_dir / "vmm"; }

fs::path unjailed_api_socket_argument() { return unjailed_vmm_dir_argument() / "firecracker.sock"; }

fs::path unjailed_vmm_dir_argument() { return passed(vmm_dir_fd); }

UnjailedSavedState unjailed_saved_state_view(const MachineConfig& machine) {
  // After the vmm directory, the kernel, the initrd and the drives.
  int next = vmm_dir_fd + 2 + (machine.initrd.empty() ? 0 : 1) + static_cast<int>(machine.drives.size());
  return {passed(next), passed(next + 1)};
}

MachineConfig unjailed_view(const MachineConfig& machine) {
  MachineConfig view = machine;
  int next = vmm_dir_fd;
  view.runtime_dir = passed(next++);
  view.kernel = passed(next++);
  if (!machine.initrd.empty()) view.initrd = passed(next++);
  for (auto& drive : view.drives) drive.path = passed(next++);
  return view;
}

std::vector<UniqueFd> prepare_unjailed(const MachineConfig& machine, JailOwner owner) {
  const fs::path dir = unjailed_vmm_dir(machine.runtime_dir);
  std::error_code ec;
  fs::remove_all(dir, ec);
  try {
    if (::mkdir(dir.c_str(), 0700) != 0) fail("cannot make " + dir.string());
    std::vector<UniqueFd> fds;
    UniqueFd dir_fd = open_or_fail(dir, O_RDONLY | O_DIRECTORY);
    give(dir_fd.get(), owner, dir);
    fds.push_back(std::move(dir_fd));
    for (const char* file : {"firecracker.log", "metrics.json"}) {
      UniqueFd made = open_or_fail(dir / file, O_WRONLY | O_CREAT | O_EXCL, 0600);
      give(made.get(), owner, dir / file);
    }
    fds.push_back(readable_for(machine.kernel, owner.uid, "firecracker"));
    if (!machine.initrd.empty()) fds.push_back(readable_for(machine.initrd, owner.uid, "firecracker"));
    for (const auto& drive : machine.drives) fds.push_back(drive_for(drive, owner));
    if (!machine.restore_from.empty()) {
      // O_NOFOLLOW: the saved files are bangerd's own, never a link to elsewhere.
      UniqueFd state(::open(saved_state_file(machine.restore_from).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd memory(::open(saved_memory_file(machine.restore_from).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (state.valid() && memory.valid()) {
        fds.push_back(std::move(state));
        fds.push_back(std::move(memory));
      }
    }
    return fds;
  } catch (...) {
    fs::remove_all(dir, ec);
    throw;
  }
}

}  // namespace banger
