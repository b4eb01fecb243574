#include "disks/reflink.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/unique_fd.h"

namespace banger::disks {

namespace fs = std::filesystem;

namespace {

// The errors by which a filesystem (or a pair of them) says "no clones here".
bool cannot_clone(int error) {
  return error == EOPNOTSUPP || error == ENOTTY || error == EXDEV || error == EINVAL || error == ENOSYS;
}

UniqueFd make_temp(const fs::path& dir, std::string& name) {
  std::string pattern = (dir / ".banger-reflink-probe-XXXXXX").string();
  UniqueFd fd(mkostemp(pattern.data(), O_CLOEXEC));
  if (fd.valid()) name = pattern;
  return fd;
}

}  // namespace

bool reflink_works(const fs::path& dir) noexcept {
  std::string source_name, clone_name;
  UniqueFd source = make_temp(dir, source_name);
  UniqueFd clone = make_temp(dir, clone_name);
  bool works = false;
  if (source.valid() && clone.valid()) {
    // One block of data: an empty file may clone even where data cannot.
    char block[4096];
    std::memset(block, 0xb5, sizeof block);
    works = pwrite(source.get(), block, sizeof block, 0) == static_cast<ssize_t>(sizeof block) &&
            ioctl(clone.get(), FICLONE, source.get()) == 0;
  }
  if (!source_name.empty()) ::unlink(source_name.c_str());
  if (!clone_name.empty()) ::unlink(clone_name.c_str());
  return works;
}

bool clone_file(const fs::path& from, const fs::path& to) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid())
    throw Error(ErrorKind::backend_failed, fmt::format("cannot open {}: {}", from.string(), std::strerror(errno)));
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out.valid())
    throw Error(errno == EEXIST ? ErrorKind::exists : ErrorKind::backend_failed,
                fmt::format("cannot create {}: {}", to.string(), std::strerror(errno)));
  if (ioctl(out.get(), FICLONE, in.get()) == 0) return true;
  const int error = errno;
  out.reset();
  ::unlink(to.c_str());
  if (cannot_clone(error)) return false;
  throw Error(error == ENOSPC || error == EDQUOT ? ErrorKind::resource_exhausted : ErrorKind::backend_failed,
              fmt::format("cannot clone {} to {}: {}", from.string(), to.string(), std::strerror(error)));
}

}  // namespace banger::disks
