#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace banger::disks {

// How a VM's root disk is cloned from its image, best first.
enum class RootDiskStrategy {
  reflink,      // <state>/vms/<id>/rootfs.ext4 shares the image's extents (btrfs, xfs)
  dm_snapshot,  // a device-mapper snapshot of the image, writes in <state>/vms/<id>/rootfs.cow
  copy,         // <state>/vms/<id>/rootfs.ext4, a sparse copy of the image
};

std::string_view to_string(RootDiskStrategy strategy);
std::optional<RootDiskStrategy> parse_root_disk_strategy(std::string_view text);

// Each VM's copy-on-write root disk. Sizes are in MiB; a disk of 0 MiB is the
// image's size. Disks are grown offline (the VM stopped) and never shrink.
// Errors: Error(invalid_args) for a shrink, Error(resource_exhausted) for a
// full disk, Error(backend_failed) otherwise; a failed create or grow leaves
// no file and no device behind (a failed grow leaves the old disk).
class RootDisks {
 public:
  // runtime_dir empty: nowhere to record devices, so no dm-snapshot.
  RootDisks(std::filesystem::path state_dir, std::filesystem::path runtime_dir);

  // The best strategy the state directory's filesystem and the kernel offer:
  // reflink when a probe clone in <state>/vms works, dm-snapshot when
  // device-mapper answers, else copy.
  RootDiskStrategy best_strategy() const;

  // The VM's file: rootfs.ext4, or for dm-snapshot its COW file rootfs.cow.
  std::filesystem::path file(const std::string& vm_id, RootDiskStrategy strategy) const;

  // Makes the VM's disk from `image` (an ext4 file) with the best strategy,
  // grown to `mib` when that is above the image's size; returns the strategy
  // used (a reflink refused between the two files falls back to the next).
  RootDiskStrategy create(const std::string& vm_id, const std::filesystem::path& image, std::uint64_t mib);
  RootDiskStrategy create(const std::string& vm_id, const std::filesystem::path& image, std::uint64_t mib,
                          RootDiskStrategy strategy);

  // The disk's size now; `mib` is the VM's recorded size (dm-snapshot keeps no file of the disk's size).
  std::uint64_t size_mib(const std::string& vm_id, RootDiskStrategy strategy, const std::filesystem::path& image,
                         std::uint64_t mib) const;

  // Grows the stopped VM's disk and its ext4 filesystem from `from_mib` to `to_mib`.
  void grow(const std::string& vm_id, RootDiskStrategy strategy, const std::filesystem::path& image,
            std::uint64_t from_mib, std::uint64_t to_mib);

  // What the VMM opens, made ready for a run: the file, or for dm-snapshot
  // /dev/mapper/banger-<id> (its devices recorded in disk.json).
  std::filesystem::path activate(const std::string& vm_id, RootDiskStrategy strategy,
                                 const std::filesystem::path& image, std::uint64_t mib);
  // What the VMM opens (activate's answer), without making it.
  std::filesystem::path device(const std::string& vm_id, RootDiskStrategy strategy) const;
  // Releases what activate made, as disk.json records it. Never throws.
  void deactivate(const std::string& vm_id) noexcept;
  // Deactivates and deletes the VM's disk files. Never throws.
  void remove(const std::string& vm_id) noexcept;

  // Daemon start-up: releases the devices of every VM not in `running_vm_ids`
  // (disk.json records, banger-* device-mapper devices, loop devices over a
  // VM's COW file). Returns how many devices went. Never throws.
  int recover(const std::set<std::string>& running_vm_ids) noexcept;

 private:
  std::filesystem::path vm_dir(const std::string& vm_id) const;
  void create_snapshot(const std::string& vm_id, const std::filesystem::path& image, std::uint64_t mib);
  void grow_snapshot(const std::string& vm_id, const std::filesystem::path& image, std::uint64_t mib);

  std::filesystem::path state_dir_;
  std::filesystem::path runtime_dir_;
};

}  // namespace banger::disks
