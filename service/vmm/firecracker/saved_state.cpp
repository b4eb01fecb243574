#include "vmm/firecracker/saved_state.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <vector>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

constexpr off_t page = 4096;
constexpr std::size_t chunk = 1 << 20;

[[noreturn]] void fail(const std::string& what) {
  const int error = errno;
  const auto kind = error == ENOSPC || error == EDQUOT ? ErrorKind::resource_exhausted : ErrorKind::backend_failed;
  throw Error(kind, fmt::format("{}: {}", what, std::strerror(error)));
}

bool all_zero(const char* data, std::size_t size) {
  // A page is zero when its first byte is and it equals itself shifted by one.
  return size == 0 || (data[0] == 0 && std::memcmp(data, data + 1, size - 1) == 0);
}

void pwrite_all(int fd, const char* data, std::size_t size, off_t at, const std::string& what) {
  while (size > 0) {
    ssize_t n = pwrite(fd, data, size, at);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write the copy of " + what);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    at += n;
  }
}

// Calls `on_run(offset, length, zero)` for each run of all-zero or data pages
// of `fd`, in order, reading only its data ranges (SEEK_DATA/SEEK_HOLE): the
// holes are zero runs the walk never reads. `data` holds the run when it is
// not zero (valid during the call only).
void walk_pages(int fd, const std::string& what,
                const std::function<void(off_t at, off_t length, bool zero, const char* data)>& on_run) {
  struct stat st {};
  if (fstat(fd, &st) != 0) fail("stat " + what);
  std::vector<char> buffer(chunk);
  off_t data = 0;
  while (data < st.st_size && (data = lseek(fd, data, SEEK_DATA)) >= 0) {
    off_t hole = lseek(fd, data, SEEK_HOLE);
    if (hole < 0) fail("seek " + what);
    for (off_t at = data; at < hole;) {
      const auto want = static_cast<std::size_t>(std::min<off_t>(hole - at, chunk));
      ssize_t n = pread(fd, buffer.data(), want, at);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("read " + what);
      if (n == 0) break;
      // Runs of the same kind, page by page, within this chunk.
      for (off_t start = 0; start < n;) {
        const bool zero = all_zero(buffer.data() + start, static_cast<std::size_t>(std::min<off_t>(page, n - start)));
        off_t end = start + page;
        while (end < n && all_zero(buffer.data() + end, static_cast<std::size_t>(std::min<off_t>(page, n - end))) == zero)
          end += page;
        end = std::min<off_t>(end, n);
        on_run(at + start, end - start, zero, buffer.data() + start);
        start = end;
      }
      at += n;
    }
    data = hole;
  }
  if (data < 0 && errno != ENXIO) fail("seek " + what);  // ENXIO: no data past this offset
}

}  // namespace

fs::path saved_state_file(const fs::path& dir) { return dir / "firecracker.vmstate"; }
fs::path saved_memory_file(const fs::path& dir) { return dir / "firecracker.mem"; }

bool punch_zero_pages(int fd, const std::string& what) {
  bool can_punch = true;
  walk_pages(fd, what, [&](off_t at, off_t length, bool zero, const char*) {
    if (!zero || !can_punch) return;
    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at, length) == 0) return;
    if (errno != EOPNOTSUPP) fail("punch the zero pages of " + what);
    can_punch = false;
  });
  return can_punch;
}

void copy_skipping_zero_pages(int in, int out, const std::string& what) {
  struct stat st {};
  if (fstat(in, &st) != 0) fail("stat " + what);
  if (ftruncate(out, st.st_size) != 0) fail("size the copy of " + what);
  walk_pages(in, what, [&](off_t at, off_t length, bool zero, const char* data) {
    if (!zero) pwrite_all(out, data, static_cast<std::size_t>(length), at, what);
  });
}

void apply_diff_memory(const fs::path& diff, const fs::path& base) {
  UniqueFd in(::open(diff.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) fail("open " + diff.string());
  UniqueFd out(::open(base.c_str(), O_WRONLY | O_CLOEXEC));
  if (!out.valid()) fail("open " + base.string());
  struct stat in_st {}, out_st {};
  if (fstat(in.get(), &in_st) != 0 || fstat(out.get(), &out_st) != 0) fail("stat " + diff.string());
  if (in_st.st_size != out_st.st_size)
    throw Error(ErrorKind::backend_failed,
                fmt::format("{} ({} bytes) is not a Diff of {} ({} bytes): not the same guest memory", diff.string(),
                            in_st.st_size, base.string(), out_st.st_size));
  walk_pages(in.get(), diff.string(), [&](off_t at, off_t length, bool, const char* data) {
    pwrite_all(out.get(), data, static_cast<std::size_t>(length), at, diff.string());
  });
  if (fsync(out.get()) != 0) fail("sync " + base.string());
}

UniqueFd open_written_by(const fs::path& path, JailOwner owner) {
  // O_NONBLOCK: opening a FIFO must not hang bangerd (a regular file ignores it).
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) fail("open " + path.string());
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) fail("stat " + path.string());
  if (!S_ISREG(st.st_mode) || st.st_uid != owner.uid || st.st_nlink != 1)
    throw Error(ErrorKind::backend_failed,
                fmt::format("{} is not a file the VMM wrote (a regular file of uid {} with one link): refused",
                            path.string(), owner.uid));
  return fd;
}

std::uint64_t allocated_bytes(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail("stat " + path.string());
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

}  // namespace banger
