#include "capabilities/disk_ledger.h"

#include <sys/stat.h>

#include <algorithm>
#include <system_error>

#include "capabilities/work_disk.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t mib_bytes = 1024 * 1024;

std::uint64_t mib_of(std::uint64_t bytes) { return (bytes + mib_bytes - 1) / mib_bytes; }

}  // namespace

HostDiskLedger::HostDiskLedger(ImageStore& images, fs::path state_dir, SnapshotStore* snapshots)
    : images_(images), state_dir_(std::move(state_dir)), snapshots_(snapshots) {}

std::uint64_t HostDiskLedger::snapshots_mib(std::uint32_t owner_uid) {
  return snapshots_ == nullptr ? 0 : mib_of(snapshots_->snapshot_bytes_of_owner(owner_uid));
}

std::uint64_t HostDiskLedger::root_disk_mib(const VmRecord& vm) {
  if (vm.disk_mib != 0 || vm.image.empty()) return vm.disk_mib;
  auto image = images_.find_image(vm.image);
  if (!image) {
    // Rows written before images were registered name the image instead of its id.
    const auto all = images_.list_images();
    const auto named = std::find_if(all.begin(), all.end(), [&](const ImageRecord& i) { return i.name == vm.image; });
    if (named != all.end()) image = *named;
  }
  // An image that is gone or has no rootfs: the create fails on its own, there is nothing to count.
  std::error_code ec;
  const auto bytes = image ? fs::file_size(image->rootfs, ec) : 0;
  return ec ? 0 : mib_of(bytes);
}

std::uint64_t HostDiskLedger::kept_disks_mib(std::uint32_t owner_uid) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(WorkDisk::kept_dir(state_dir_), ec)) {
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != owner_uid) continue;
    total += mib_of(static_cast<std::uint64_t>(st.st_size));
  }
  return total;  // no kept directory yet: nothing kept
}

}  // namespace banger
