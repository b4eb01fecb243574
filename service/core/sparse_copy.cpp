#include "core/sparse_copy.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/unique_fd.h"

namespace banger {

namespace {

// Progress is reported at least this often on a plain copy.
constexpr off_t progress_step = 64 << 20;

[[noreturn]] void fail(const std::string& what) {
  const int error = errno;
  const auto kind = error == ENOSPC || error == EDQUOT ? ErrorKind::resource_exhausted : ErrorKind::backend_failed;
  throw Error(kind, fmt::format("{}: {}", what, std::strerror(error)));
}

// copy_file_range refuses some pairs of filesystems (EXDEV since Linux 5.19,
// EINVAL or EOPNOTSUPP on others); then the bytes go through user space.
ssize_t copy_range(int in, loff_t* src, int out, loff_t* dst, std::size_t length, bool& plain) {
  if (!plain) {
    ssize_t n = copy_file_range(in, src, out, dst, length, 0);
    if (n >= 0 || (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS)) return n;
    plain = true;
  }
  static thread_local std::vector<char> buffer(1 << 20);
  ssize_t n = pread(in, buffer.data(), std::min(length, buffer.size()), *src);
  if (n <= 0) return n;
  for (ssize_t written = 0; written < n;) {
    ssize_t w = pwrite(out, buffer.data() + written, static_cast<std::size_t>(n - written), *dst + written);
    if (w < 0) return w;
    written += w;
  }
  *src += n;
  *dst += n;
  return n;
}

}  // namespace

void copy_sparse(int in, int out, const std::string& what, const CopyProgress& progress) {
  struct stat st {};
  if (fstat(in, &st) != 0) fail("stat " + what);
  if (ftruncate(out, 0) != 0) fail("truncate the copy of " + what);
  if (ioctl(out, FICLONE, in) == 0) {
    if (progress) progress(static_cast<std::uint64_t>(st.st_size));
    return;
  }
  if (ftruncate(out, st.st_size) != 0) fail("truncate the copy of " + what);
  bool plain = false;
  off_t data = 0;
  while ((data = lseek(in, data, SEEK_DATA)) >= 0) {
    off_t hole = lseek(in, data, SEEK_HOLE);
    if (hole < 0) fail("seek " + what);
    loff_t src = data, dst = data;
    while (src < hole) {
      const auto chunk = static_cast<std::size_t>(std::min<off_t>(hole - src, progress_step));
      ssize_t n = copy_range(in, &src, out, &dst, chunk, plain);
      if (n < 0) fail("copy " + what);
      if (n == 0) break;
      if (progress) progress(static_cast<std::uint64_t>(src));
    }
    data = hole;
  }
  if (errno != ENXIO) fail("seek " + what);  // ENXIO: no data past this offset
  if (progress) progress(static_cast<std::uint64_t>(st.st_size));
}

namespace {

// copy_sparse between two paths; the copy's descriptor, still open.
UniqueFd copied(const std::filesystem::path& from, const std::filesystem::path& to) {
  UniqueFd in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) fail("open " + from.string());
  UniqueFd out(open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out.valid()) fail("create " + to.string());
  copy_sparse(in.get(), out.get(), from.string());
  return out;
}

}  // namespace

void copy_sparse(const std::filesystem::path& from, const std::filesystem::path& to) { copied(from, to); }

void copy_sparse_durably(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::fsync(copied(from, to).get()) != 0) fail("sync " + to.string());
}

void replace_with_copy(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::path partial = to;
  partial += ".partial";
  std::error_code ec;
  try {
    copy_sparse_durably(from, partial);
  } catch (...) {
    std::filesystem::remove(partial, ec);
    throw;
  }
  std::filesystem::rename(partial, to, ec);
  if (ec) {
    const int error = ec.value();
    std::filesystem::remove(partial, ec);
    errno = error;
    fail("replace " + to.string());
  }
  UniqueFd dir(open(to.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) ::fsync(dir.get());
}

}  // namespace banger
