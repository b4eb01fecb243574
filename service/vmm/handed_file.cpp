#include "vmm/handed_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const char* what, const std::string& doing) {
  throw Error(ErrorKind::backend_failed, fmt::format("{}: {}: {}", what, doing, strerror(errno)));
}

// A sealed memfd holding what `file` holds: readable through /proc/self/fd by
// anyone who has it (a memfd's mode is 0777), and nobody can change it.
UniqueFd memfd_copy(const fs::path& path, int file, const struct stat& st, const char* what) {
  UniqueFd copy(memfd_create(path.filename().c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!copy.valid()) fail(what, "cannot copy " + path.string());
  for (off_t offset = 0; offset < st.st_size;) {
    const ssize_t sent = sendfile(copy.get(), file, &offset, static_cast<size_t>(st.st_size - offset));
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) fail(what, "cannot copy " + path.string());
  }
  fcntl(copy.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  return copy;
}

}  // namespace

UniqueFd readable_for(const fs::path& path, uid_t uid, const char* what) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) fail(what, "cannot open " + path.string());
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) fail(what, "cannot read " + path.string());
  const bool readable = (st.st_mode & S_IROTH) != 0 || (st.st_uid == uid && (st.st_mode & S_IRUSR) != 0);
  return readable ? std::move(fd) : memfd_copy(path, fd.get(), st, what);
}

}  // namespace banger
