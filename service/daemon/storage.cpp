#include "daemon/storage.h"

#include <filesystem>

namespace banger {

namespace {

void make_dir(const std::filesystem::path& dir, std::filesystem::perms perms) {
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, perms);
}

}  // namespace

DaemonDirectories::DaemonDirectories(const Config& config) {
  using std::filesystem::perms;
  make_dir(config.state_dir, perms::owner_all | perms::group_read | perms::group_exec);
  make_dir(config.runtime_dir, perms::owner_all | perms::group_read | perms::group_exec | perms::others_read |
                                   perms::others_exec);
}

Storage::Storage(const Config& config)
    : directories(config), store(config.state_dir / "banger.db"), handles(config.runtime_dir) {}

}  // namespace banger
