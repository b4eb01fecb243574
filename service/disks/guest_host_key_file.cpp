#include "disks/guest_host_key_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "disks/sandbox.h"

namespace banger::disks {

namespace fs = std::filesystem;

namespace {

// A sealed-off scratch file in memory: the secret never touches a disk, and
// the sandboxed debugfs reaches it as /proc/self/fd/N.
struct MemoryFile {
  int fd = -1;
  explicit MemoryFile(const char* name, const std::string& content = {}) {
    fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) throw Error(ErrorKind::backend_failed, fmt::format("memfd_create: {}", strerror(errno)));
    if (!content.empty() && write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
      close(fd);
      throw Error(ErrorKind::backend_failed, fmt::format("writing a memfd: {}", strerror(errno)));
    }
  }
  ~MemoryFile() { close(fd); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  std::string read_all() const {
    std::string text;
    char buffer[4096];
    off_t at = 0;
    for (ssize_t n; (n = pread(fd, buffer, sizeof buffer, at)) > 0; at += n) text.append(buffer, static_cast<std::size_t>(n));
    return text;
  }
};

}  // namespace

bool write_guest_secret_file(const fs::path& root_disk, const std::string& guest_path, const std::string& content) {
  // descriptors in the sandbox: 3 the disk, 4 the content, 5 the read-back, 6 the commands.
  MemoryFile source("guest-secret", content);
  MemoryFile back("guest-secret-back");
  // One debugfs run: a missing file to remove is reported, not fatal, and so
  // is a missing directory to write into, which the read-back then shows.
  MemoryFile commands("debugfs-commands",
                      "rm " + guest_path + "\n" + "write /proc/self/fd/4 " + guest_path + "\n" + "sif " + guest_path +
                          " mode 0100600\n" + "sif " + guest_path + " uid 0\n" + "sif " + guest_path + " gid 0\n" +
                          "dump " + guest_path + " /proc/self/fd/5\n");
  try {
    // The disk may be a clone's, which its guest wrote: debugfs parses it in
    // the sandbox (disks/sandbox.h), never as root.
    run_tool_on_image({"debugfs", "-w", "-f", "/proc/self/fd/6", "{image}"}, root_disk, Sandbox::standard(),
                      {source.fd, back.fd, commands.fd});
  } catch (const Error& e) {
    log::info("cannot write {} onto {}: {}", guest_path, root_disk.string(), e.what());
    return false;
  }
  return back.read_all() == content;
}

}  // namespace banger::disks
