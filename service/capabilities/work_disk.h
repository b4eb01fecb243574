#pragma once
#include <cstdint>
#include <filesystem>

#include "core/capability.h"

namespace banger {

// Each VM's work disk: a sparse ext4 image of `work_disk_mib` MiB
// (<state>/vms/<id>/work.ext4, label banger-work) made at create, attached at
// every start as the second drive (/dev/vdb, which the default image's init
// mounts at /work), grown by Set while the VM is stopped and deleted with the
// VM, or, with keep_work_disk, moved to <state>/kept/ on delete. A VM with
// work_disk_mib 0 has none.
class WorkDisk : public Capability {
 public:
  explicit WorkDisk(std::filesystem::path state_dir);

  std::string_view name() const override { return "work-disk"; }
  void check_create(const VmRecord& vm) override;
  void provision(VmRecord& vm, ProgressSink& progress) override;
  void add_start_preflight(const VmRecord& vm, std::vector<PreflightCheck>& checks) override;
  void contribute_guest(const VmRecord& vm, GuestConfig& guest) override;
  void contribute_machine(const VmRecord& vm, MachineConfig& machine) override;
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;
  void apply_config_change(const VmRecord& before, const VmRecord& after) override;
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override;

  // Clone: the source's work disk, copied with its files (a reflink where the
  // file system shares extents, else a sparse copy); a source without one: a new one.
  void provision_clone(const VmRecord& source, VmRecord& clone, ProgressSink& progress) override;
  // Clone from a checkpoint: the same, from the checkpoint's copy of the work disk.
  void provision_from_checkpoint(const VmRecord& source, const std::filesystem::path& dir, VmRecord& clone,
                                 ProgressSink& progress) override;

  // Checkpoints: the work disk copied as the file system best can. A checkpoint
  // taken without one leaves the VM's current work disk as it is on restore.
  void save_disks(const VmRecord& vm, const std::filesystem::path& dir) override;
  void restore_disks(const VmRecord& vm, const std::filesystem::path& dir) override;

  std::filesystem::path disk_of(const VmRecord& vm) const;
  // Where a delete with keep_work_disk leaves the disk: named after the VM
  // (its name for people, its id's start so two VMs of one name never clash).
  std::filesystem::path kept_disk_of(const VmRecord& vm) const;
  // Where kept work disks go; each is owned by the uid that owned its VM.
  static std::filesystem::path kept_dir(const std::filesystem::path& state_dir);

  // What mkfs.ext4 writes into a new sparse image of `mib` MiB, rounded up
  // generously: superblock copies, group descriptors, bitmaps and the journal
  // (inode tables and the journal are initialised lazily).
  static std::uint64_t metadata_bytes(std::uint64_t mib);

 private:
  // A clone's work disk copied from `from` (the source's or a checkpoint's copy), or a new one.
  void copy_disk(const VmRecord& source, const std::filesystem::path& from, VmRecord& clone, ProgressSink& progress);
  // Refuses a size the host can never hold, and a host without room for the metadata.
  void check_room(const VmRecord& vm, std::uint64_t new_metadata_bytes) const;
  void make(const VmRecord& vm);

  std::filesystem::path state_dir_;
};

}  // namespace banger
