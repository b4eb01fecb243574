#include "disks/ext4_image.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"
#include "disks/sandbox.h"
#include "disks/tool.h"

namespace banger::disks {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t mib_bytes = 1024 * 1024;

void set_file_size(const fs::path& file, std::uint64_t mib) {
  if (::truncate(file.c_str(), static_cast<off_t>(mib * mib_bytes)) != 0)
    throw Error(errno == ENOSPC || errno == EFBIG ? ErrorKind::resource_exhausted : ErrorKind::backend_failed,
                fmt::format("cannot size {} to {} MiB: {}", file.string(), mib, strerror(errno)));
}

}  // namespace

std::uint64_t size_mib(const fs::path& file) { return (fs::file_size(file) + mib_bytes - 1) / mib_bytes; }

void require_free_space(const fs::path& dir, std::uint64_t extra_bytes, const std::string& what) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return;  // the write itself will say
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(st.f_bfree) * st.f_frsize;
  if (extra_bytes > free_bytes)
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("{} needs {} MiB but {} has only {} MiB free", what, extra_bytes / mib_bytes, dir.string(),
                            free_bytes / mib_bytes));
}

void make_ext4(const fs::path& file, std::uint64_t mib, const std::string& label) {
  if (mib == 0) throw Error(ErrorKind::invalid_args, "an ext4 image needs a size above 0");
  if (fs::exists(file)) throw Error(ErrorKind::exists, fmt::format("{} already exists", file.string()));
  try {
    {
      // Sparse: the size is promised, not written.
      FILE* f = std::fopen(file.c_str(), "wx");
      if (f == nullptr)
        throw Error(ErrorKind::backend_failed, fmt::format("cannot create {}: {}", file.string(), strerror(errno)));
      std::fclose(f);
    }
    set_file_size(file, mib);
    // nodiscard: the file is sparse already; lazy init keeps mkfs quick on big disks.
    // lazy_journal_init: the journal lies in holes, which read as zeros anyway,
    // so writing it out would only cost its size (64 MiB for 8 GiB) in room.
    run_tool({"mkfs.ext4", "-F", "-q", "-L", label, "-E",
              "root_owner=0:0,nodiscard,lazy_itable_init=1,lazy_journal_init=1",
              file.string()});
  } catch (...) {
    std::error_code ignored;
    fs::remove(file, ignored);
    throw;
  }
}

void grow_ext4(const fs::path& file, std::uint64_t mib) {
  const auto current = size_mib(file);
  if (mib < current)
    throw Error(ErrorKind::invalid_args,
                fmt::format("{} is {} MiB; disks only grow (asked for {} MiB)", file.filename().string(), current, mib));
  if (mib == current) return;
  require_free_space(file.parent_path(), 0, file.filename().string());
  set_file_size(file, mib);
  grow_filesystem(file);
}

void grow_filesystem(const fs::path& file_or_device) {
  // resize2fs insists on a freshly checked filesystem; -p: fix what is safe, never ask.
  // Both parse what the guest wrote, so both run sandboxed (disks/sandbox.h).
  try {
    run_tool_on_image({"e2fsck", "-f", "-p", "{image}"}, file_or_device);
  } catch (const Error& e) {
    // Exit status 1 means "errors corrected": fine to go on.
    if (std::string(e.what()).find("exit status 1)") == std::string::npos) throw;
  }
  run_tool_on_image({"resize2fs", "{image}"}, file_or_device);
}

}  // namespace banger::disks
