#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/unique_fd.h"

namespace banger {

// How QEMU's command line names the files it opens. QEMU run as bangerd
// opens them by path. QEMU run as its VM's own uid (issue 17, finding 3)
// reaches none of them (bangerd's state and runtime dirs are closed to it): bangerd
// opens each one and hands QEMU the descriptor (-add-fd and /dev/fdset/N,
// /proc/self/fd/N for the kernel loader), so that the uid is given exactly
// these files and nothing else of the host.
class QemuFiles {
 public:
  // `uid`: whom QEMU runs as; with `pass_descriptors` false, paths are named as they are.
  QemuFiles(bool pass_descriptors, uid_t uid);

  // -kernel, -initrd: QEMU's loader fopen()s them, so the name is a path:
  // /proc/self/fd/N of the file, or of a copy in a memfd when `uid` may not
  // read the file itself (images are written under bangerd's umask 0077).
  std::string loader_file(const std::filesystem::path& path);
  bool passes_descriptors() const { return pass_descriptors_; }

  // The protocol options of a -drive: file=<path>, or file.driver=file|host_device,file.filename=/dev/fdset/N
  std::string drive_file(const std::filesystem::path& path, bool read_only);
  // -chardev options writing the serial console to `log` (appended).
  std::string console_log_chardev(const std::filesystem::path& log);
  // -chardev options of the QMP server at `socket`: bangerd binds and listens
  // on it (so the socket is root's and only bangerd connects).
  std::string qmp_chardev(const std::filesystem::path& socket);
  // -netdev options of the tap device `tap`: bangerd attaches to it
  // (/dev/net/tun is root's alone on some hosts) and QEMU gets the descriptor.
  std::string tap_netdev(const std::string& id, const std::string& tap);
  // The -add-fd options the names above need, to go on the command line.
  const std::vector<std::string>& add_fd_arguments() const { return add_fd_arguments_; }
  // The descriptors, in the order the child must get them as 3, 4, …
  std::vector<int> descriptors() const;

 private:
  // Keeps `fd` for the child; the number it has there.
  int pass(UniqueFd fd);
  // A new fd set with `fds`, named `opaque` on the command line; its number.
  int add_fd_set(std::vector<UniqueFd> fds, const std::filesystem::path& opaque);

  bool pass_descriptors_;
  uid_t uid_;
  std::vector<UniqueFd> fds_;
  std::vector<std::string> add_fd_arguments_;
  int next_set_ = 1;
};

}  // namespace banger
