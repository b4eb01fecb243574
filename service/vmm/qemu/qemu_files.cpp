#include "vmm/qemu/qemu_files.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"
#include "vmm/handed_file.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw Error(ErrorKind::backend_failed, fmt::format("qemu: {}: {}", what, strerror(errno)));
}

UniqueFd open_file(const fs::path& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd.valid()) fail("cannot open " + path.string());
  return fd;
}

}  // namespace

QemuFiles::QemuFiles(bool pass_descriptors, uid_t uid) : pass_descriptors_(pass_descriptors), uid_(uid) {}

int QemuFiles::pass(UniqueFd fd) {
  fds_.push_back(std::move(fd));
  return static_cast<int>(fds_.size()) + 2;  // 3 for the first
}

int QemuFiles::add_fd_set(std::vector<UniqueFd> fds, const fs::path& opaque) {
  const int set = next_set_++;
  // opaque: also what `ps` shows, and what names the VM's runtime dir on the
  // command line (adoption and the orphan sweep identify a VMM by it).
  for (auto& fd : fds)
    add_fd_arguments_.insert(add_fd_arguments_.end(),
                             {"-add-fd", fmt::format("fd={},set={},opaque={}", pass(std::move(fd)), set, opaque.string())});
  return set;
}

std::vector<int> QemuFiles::descriptors() const {
  std::vector<int> raw;
  for (const auto& fd : fds_) raw.push_back(fd.get());
  return raw;
}

std::string QemuFiles::loader_file(const fs::path& path) {
  if (!pass_descriptors_) return path.string();
  return fmt::format("/proc/self/fd/{}", pass(readable_for(path, uid_, "qemu")));
}

std::string QemuFiles::drive_file(const fs::path& path, bool read_only) {
  if (!pass_descriptors_) return "file=" + path.string();
  std::error_code ec;
  const char* driver = fs::is_block_file(path, ec) ? "host_device" : "file";
  // QEMU picks the descriptor of the set whose access mode it asks for:
  // read-only first (image probing), read-write for a writable drive.
  std::vector<UniqueFd> fds;
  fds.push_back(open_file(path, O_RDONLY));
  if (!read_only) fds.push_back(open_file(path, O_RDWR));
  // file.locking=off: the two descriptions of one file would take their OFD lock bytes against each
  // other when QEMU takes its drives back after a migration to a file ("cont" from postmigrate after
  // a checkpoint: "Failed to get "write" lock"). bangerd never runs two VMMs on one VM's disks.
  return fmt::format("file.driver={},file.filename=/dev/fdset/{},file.locking=off", driver,
                     add_fd_set(std::move(fds), path));
}

std::string QemuFiles::console_log_chardev(const fs::path& log) {
  if (!pass_descriptors_) return fmt::format("file,id=serial0,path={}", log.string());
  std::vector<UniqueFd> fds;
  fds.push_back(open_file(log, O_WRONLY | O_CREAT | O_APPEND));
  return fmt::format("file,id=serial0,path=/dev/fdset/{},append=on", add_fd_set(std::move(fds), log));
}

std::string QemuFiles::tap_netdev(const std::string& id, const std::string& tap) {
  if (!pass_descriptors_) return fmt::format("tap,id={},ifname={},script=no,downscript=no", id, tap);
  UniqueFd fd = open_file("/dev/net/tun", O_RDWR);
  ifreq request{};
  // What QEMU asks for when it opens the tap itself: no packet info, with the virtio-net header.
  request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (tap.size() >= sizeof request.ifr_name) {
    errno = ENAMETOOLONG;
    fail("cannot attach to tap " + tap);
  }
  tap.copy(request.ifr_name, sizeof request.ifr_name - 1);
  if (ioctl(fd.get(), TUNSETIFF, &request) != 0) fail("cannot attach to tap " + tap);
  return fmt::format("tap,id={},fd={}", id, pass(std::move(fd)));
}

std::string QemuFiles::qmp_chardev(const fs::path& socket) {
  if (!pass_descriptors_) return fmt::format("socket,id=qmp,path={},server=on,wait=off", socket.string());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.native().size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    fail("cannot bind " + socket.string());
  }
  socket.native().copy(addr.sun_path, sizeof addr.sun_path - 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) fail("cannot make a socket");
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("cannot bind " + socket.string());
  if (chmod(socket.c_str(), 0600) != 0 || listen(fd.get(), 8) != 0) fail("cannot listen on " + socket.string());
  // The chardev takes the listening descriptor itself. A copy goes into an fd
  // set only to name the socket (QEMU closes what -add-fd names once it made its
  // own copy, so the chardev cannot use the same number).
  UniqueFd copy(fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!copy.valid()) fail("cannot pass " + socket.string());
  const int number = pass(std::move(fd));
  std::vector<UniqueFd> named;
  named.push_back(std::move(copy));
  add_fd_set(std::move(named), socket);
  return fmt::format("socket,id=qmp,fd={},server=on,wait=off", number);
}

}  // namespace banger
