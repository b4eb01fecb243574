#include "scratch_filesystem.h"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

#include "core/unique_fd.h"
#include "disks/loop_device.h"
#include "disks/tool.h"

namespace banger::testing {

namespace fs = std::filesystem;

std::string enter_private_mount_namespace() {
  static const std::string why = [] () -> std::string {
    if (geteuid() != 0) return "needs root";
    if (::unshare(CLONE_NEWNS) != 0) return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
    // Nothing mounted from now on propagates back to the host's namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      return std::string("making / private: ") + std::strerror(errno);
    return "";
  }();
  return why;
}

ScratchDir::ScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "banger-disks-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

ScratchFilesystem ScratchFilesystem::xfs(const fs::path& under, std::uint64_t mib) {
  const fs::path file = under / "xfs.img";
  { std::ofstream(file).flush(); }
  fs::resize_file(file, mib << 20);
  disks::run_tool({"mkfs.xfs", "-q", "-f", "-m", "reflink=1", file.string()});
  const fs::path mount_point = under / "mnt";
  fs::create_directories(mount_point);
  // Autoclear: the loop device goes with the mount, even if this process dies.
  auto loop = disks::attach_loop(file, {.autoclear = true});
  if (::mount(loop.path().c_str(), mount_point.c_str(), "xfs", 0, nullptr) != 0)
    throw std::runtime_error(std::string("mount xfs: ") + std::strerror(errno));
  return ScratchFilesystem(mount_point);
}

ScratchFilesystem ScratchFilesystem::tmpfs(const fs::path& under, std::uint64_t mib) {
  const fs::path mount_point = under / "mnt";
  fs::create_directories(mount_point);
  const std::string options = "size=" + std::to_string(mib) + "m";
  if (::mount("banger-test", mount_point.c_str(), "tmpfs", 0, options.c_str()) != 0)
    throw std::runtime_error(std::string("mount tmpfs: ") + std::strerror(errno));
  return ScratchFilesystem(mount_point);
}

ScratchFilesystem::ScratchFilesystem(ScratchFilesystem&& other) noexcept
    : mount_point_(std::exchange(other.mount_point_, {})) {}

ScratchFilesystem::~ScratchFilesystem() {
  if (!mount_point_.empty()) ::umount2(mount_point_.c_str(), MNT_DETACH);
}

ExtentUsage extent_usage(const fs::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw std::runtime_error("open " + file.string());
  ExtentUsage usage;
  constexpr unsigned batch = 256;
  std::vector<char> buffer(sizeof(fiemap) + batch * sizeof(fiemap_extent));
  std::uint64_t start = 0;
  for (;;) {
    std::memset(buffer.data(), 0, buffer.size());
    auto* map = reinterpret_cast<fiemap*>(buffer.data());
    map->fm_start = start;
    map->fm_length = FIEMAP_MAX_OFFSET - start;
    map->fm_flags = FIEMAP_FLAG_SYNC;
    map->fm_extent_count = batch;
    if (::ioctl(fd.get(), FS_IOC_FIEMAP, map) != 0) throw std::runtime_error("FIEMAP " + file.string());
    if (map->fm_mapped_extents == 0) return usage;
    for (unsigned i = 0; i < map->fm_mapped_extents; ++i) {
      const auto& extent = map->fm_extents[i];
      usage.total += extent.fe_length;
      if ((extent.fe_flags & FIEMAP_EXTENT_SHARED) != 0) usage.shared += extent.fe_length;
      start = extent.fe_logical + extent.fe_length;
      if ((extent.fe_flags & FIEMAP_EXTENT_LAST) != 0) return usage;
    }
  }
}

void make_ext4_with_data(const fs::path& image, std::uint64_t mib, std::uint64_t data_mib) {
  const fs::path content = image.string() + ".content";
  fs::create_directories(content);
  std::mt19937_64 random(42);
  std::vector<std::uint64_t> block((1 << 20) / sizeof(std::uint64_t));
  for (std::uint64_t file = 0; file < data_mib; ++file) {
    std::ofstream out(content / ("data" + std::to_string(file)), std::ios::binary);
    for (auto& word : block) word = random();
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(block.size() * sizeof block[0]));
  }
  disks::run_tool({"mkfs.ext4", "-q", "-F", "-d", content.string(), "-E", "root_owner=0:0", image.string(),
                   std::to_string(mib) + "M"});
  fs::remove_all(content);
}

bool same_content(const fs::path& a, const fs::path& b) {
  std::ifstream in_a(a, std::ios::binary), in_b(b, std::ios::binary);
  if (!in_a || !in_b) return false;
  std::vector<char> buf_a(1 << 20), buf_b(1 << 20);
  for (;;) {
    in_a.read(buf_a.data(), static_cast<std::streamsize>(buf_a.size()));
    in_b.read(buf_b.data(), static_cast<std::streamsize>(buf_b.size()));
    if (in_a.gcount() != in_b.gcount()) return false;
    if (!std::equal(buf_a.begin(), buf_a.begin() + in_a.gcount(), buf_b.begin())) return false;
    if (in_a.gcount() == 0) return true;
  }
}

std::vector<int> loop_devices_under(const fs::path& dir) {
  std::vector<int> found;
  std::error_code ec;
  for (fs::directory_iterator it("/sys/block", ec), end; !ec && it != end; it.increment(ec)) {
    int number = -1;
    if (std::sscanf(it->path().filename().c_str(), "loop%d", &number) != 1) continue;
    auto backing = disks::loop_backing_file(number);
    if (backing && backing->string().starts_with(dir.string())) found.push_back(number);
  }
  return found;
}

}  // namespace banger::testing
