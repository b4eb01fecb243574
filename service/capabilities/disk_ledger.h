#pragma once
#include <filesystem>

#include "core/quotas.h"
#include "core/image_store.h"
#include "core/snapshot.h"

namespace banger {

// The disk sizes [quotas] max_disk_mib counts, read from the host: a root disk
// of disk_mib 0 has its image's rootfs size (the file's apparent size), and a
// kept work disk counts for the uid that owns the file (WorkDisk gives it to
// its VM's owner). Kept disks of versions before that are root's and count for
// nobody, root being unlimited.
class HostDiskLedger : public DiskLedger {
 public:
  // `snapshots`: where checkpoints' sizes are kept; none: they count for nothing.
  HostDiskLedger(ImageStore& images, std::filesystem::path state_dir, SnapshotStore* snapshots = nullptr);

  std::uint64_t root_disk_mib(const VmRecord& vm) override;
  std::uint64_t kept_disks_mib(std::uint32_t owner_uid) override;
  std::uint64_t snapshots_mib(std::uint32_t owner_uid) override;

 private:
  ImageStore& images_;
  std::filesystem::path state_dir_;
  SnapshotStore* snapshots_;
};

}  // namespace banger
