#include "core/off_limits.h"

#include <sys/stat.h>

#include <string>
#include <system_error>

namespace banger {
namespace {

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

}  // namespace

std::optional<std::filesystem::path> off_limits_dir_holding(int fd, const std::vector<std::filesystem::path>& dirs) {
  std::vector<std::pair<std::filesystem::path, struct stat>> existing;
  for (const auto& dir : dirs) {
    struct stat st {};
    if (!dir.empty() && stat(dir.c_str(), &st) == 0) existing.emplace_back(dir, st);
  }
  if (existing.empty()) return std::nullopt;

  struct stat opened {};
  if (fstat(fd, &opened) != 0) return std::nullopt;
  for (const auto& [dir, st] : existing)
    if (same_file(opened, st)) return dir;

  std::error_code ec;
  const auto where = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec);
  // Pipes and sockets ("pipe:[…]") live in no directory.
  if (ec || !where.is_absolute()) return std::nullopt;
  for (auto ancestor = where.parent_path();; ancestor = ancestor.parent_path()) {
    struct stat st {};
    if (stat(ancestor.c_str(), &st) == 0)
      for (const auto& [dir, dir_st] : existing)
        if (same_file(st, dir_st)) return dir;
    if (ancestor == ancestor.root_path()) break;
  }
  return std::nullopt;
}

}  // namespace banger
