#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/unique_fd.h"

namespace banger {

void write_file_atomically(const std::filesystem::path& file, const std::string& content, mode_t mode,
                           FileDurability durability) {
  const bool durable = durability == FileDurability::durable;
  const std::string temp = file.string() + ".tmp";
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  bool ok = fd.valid() && ::fchmod(fd.get(), mode) == 0;  // an old temp file may have another mode
  for (std::size_t done = 0; ok && done < content.size();) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && (!durable || ::fsync(fd.get()) == 0);
  fd.reset();
  ok = ok && ::rename(temp.c_str(), file.c_str()) == 0;
  if (!ok) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw Error(ErrorKind::backend_failed, fmt::format("cannot write {}: {}", file.string(), std::strerror(error)));
  }
  if (!durable) return;
  UniqueFd dir(::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) ::fsync(dir.get());
}

}  // namespace banger
