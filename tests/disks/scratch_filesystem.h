#pragma once
// Filesystems made by a test and mounted in a mount namespace of the test
// process's own, so nothing it mounts is ever seen by (or left on) the host.
// Root only: callers skip without.
#include <filesystem>
#include <cstdint>
#include <string>
#include <vector>

namespace banger::testing {

// Moves this process into a private mount namespace (once); empty, else why it could not.
std::string enter_private_mount_namespace();

// A new directory under the system temp dir, removed with what is in it.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A filesystem mounted at <under>/mnt until destroyed: xfs (with reflink) in a
// sparse loop file, or a tmpfs of a fixed size. Throws std::runtime_error.
class ScratchFilesystem {
 public:
  static ScratchFilesystem xfs(const std::filesystem::path& under, std::uint64_t mib);
  static ScratchFilesystem tmpfs(const std::filesystem::path& under, std::uint64_t mib);
  ScratchFilesystem(ScratchFilesystem&& other) noexcept;
  ScratchFilesystem& operator=(ScratchFilesystem&&) = delete;
  ~ScratchFilesystem();

  const std::filesystem::path& mount_point() const { return mount_point_; }

 private:
  explicit ScratchFilesystem(std::filesystem::path mount_point) : mount_point_(std::move(mount_point)) {}
  std::filesystem::path mount_point_;
};

// How many bytes of `file` sit in extents the kernel reports shared (FIEMAP_EXTENT_SHARED), and in all.
struct ExtentUsage {
  std::uint64_t shared = 0, total = 0;
};
ExtentUsage extent_usage(const std::filesystem::path& file);

// An ext4 image of `mib` MiB holding `data_mib` MiB of random files (mkfs.ext4 -d).
void make_ext4_with_data(const std::filesystem::path& image, std::uint64_t mib, std::uint64_t data_mib);

// Whether the two files hold the same bytes.
bool same_content(const std::filesystem::path& a, const std::filesystem::path& b);

// Every loop device whose backing file lies under `dir`.
std::vector<int> loop_devices_under(const std::filesystem::path& dir);

}  // namespace banger::testing
