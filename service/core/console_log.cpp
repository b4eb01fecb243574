#include "core/console_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

namespace {

// Closes on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::filesystem::path& log, const char* what) {
  throw Error(ErrorKind::backend_failed, fmt::format("console log {}: {}: {}", log.string(), what, strerror(errno)));
}

// The first byte at or after `from` that holds data; `end` when none does.
std::uint64_t next_data(int fd, std::uint64_t from, std::uint64_t end) {
  off_t at = lseek(fd, static_cast<off_t>(from), SEEK_DATA);
  return at < 0 ? end : static_cast<std::uint64_t>(at);
}

}  // namespace

std::filesystem::path console_log_path(const std::filesystem::path& vm_runtime_dir) {
  return vm_runtime_dir / console_log_name;
}

void check_console_read_size(std::uint32_t max_bytes) {
  if (max_bytes == 0 || max_bytes > console_read_limit)
    throw Error(ErrorKind::invalid_args,
                fmt::format("max_bytes must be between 1 and {}, not {}", console_read_limit, max_bytes));
}

ConsoleChunk read_console_log(const std::filesystem::path& log, std::uint64_t offset, std::uint32_t max_bytes) {
  check_console_read_size(max_bytes);
  Fd fd(open(log.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    if (errno == ENOENT) return {};
    fail(log, "open");
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) fail(log, "fstat");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (offset > size) offset = 0;
  const std::uint64_t start = next_data(fd.get(), offset, size);
  if (start >= size) return {{}, size};

  std::string data(std::min<std::uint64_t>(max_bytes, size - start), '\0');
  ssize_t got = pread(fd.get(), data.data(), data.size(), static_cast<off_t>(start));
  if (got < 0) fail(log, "read");
  data.resize(static_cast<std::size_t>(got));
  // A cap may have freed the front of what was just read: that reads as
  // zeros, which the VMM never wrote.
  const std::uint64_t kept = next_data(fd.get(), start, size);
  if (kept > start) data.erase(0, std::min<std::uint64_t>(kept - start, data.size()));
  return {std::move(data), start + static_cast<std::uint64_t>(got)};
}

bool cap_console_log(const std::filesystem::path& log, std::uint64_t max_bytes) {
  Fd fd(open(log.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    if (errno == ENOENT) return true;
    fail(log, "open");
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) fail(log, "fstat");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size <= max_bytes) return true;
  const std::uint64_t block = st.st_blksize > 0 ? static_cast<std::uint64_t>(st.st_blksize) : 4096;
  const std::uint64_t cut = (size - max_bytes) / block * block;
  const std::uint64_t from = next_data(fd.get(), 0, size) / block * block;
  if (from >= cut) return true;  // freed already
  if (fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(from),
                static_cast<off_t>(cut - from)) != 0) {
    if (errno == EOPNOTSUPP) return false;
    fail(log, "fallocate");
  }
  return true;
}

std::uint64_t console_log_disk_usage(const std::filesystem::path& log) {
  struct stat st {};
  if (stat(log.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

}  // namespace banger
