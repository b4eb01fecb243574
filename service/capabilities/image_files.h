#pragma once
#include <filesystem>
#include <string>

#include "core/capability.h"
#include "core/image.h"
#include "disks/root_disk.h"
#include "core/image_store.h"

namespace banger {

// Boots a VM from its image (a registered ImageRecord; the VM records its id).
// At create, the VM gets its own copy-on-write root disk cloned from the
// image's rootfs (disks/root_disk.h: reflink, else a device-mapper snapshot,
// else a sparse copy; the strategy goes into the record), grown to the VM's
// `disk_mib`; Set grows it on a stopped VM and never shrinks it. At start,
// the kernel this backend boots (`kernel_file`, see VmmBackend::kernel_file),
// the initrd and that disk go to the VMM, and the VM's name to the guest's init.
class ImageFiles : public Capability {
 public:
  // `backend` names the VMM backend this instance serves (doctor lines);
  // `default_backend`: VMs get that backend when their creator names none, so
  // it must boot the default image. `runtime_dir`: where a dm-snapshot disk
  // records its devices (<runtime>/vms/<id>/disk.json); empty: no dm-snapshot.
  ImageFiles(ImageStore& images, std::filesystem::path state_dir, std::string kernel_file, std::string backend,
             bool default_backend, std::filesystem::path runtime_dir = {});

  std::string_view name() const override { return "image-files"; }
  void check_create(const VmRecord& vm) override;
  void provision(VmRecord& vm, ProgressSink& progress) override;
  // Clone: a copy of the source's root disk as it is now (the same strategy:
  // reflink or copy of its file, or of its COW file over the same image),
  // without the source guest's SSH host keys, and with a host key of its own.
  void provision_clone(const VmRecord& source, VmRecord& clone, ProgressSink& progress) override;
  // Clone from a checkpoint: the same, from the checkpoint's copy of the root disk.
  void provision_from_checkpoint(const VmRecord& source, const std::filesystem::path& dir, VmRecord& clone,
                                 ProgressSink& progress) override;
  void add_start_preflight(const VmRecord& vm, std::vector<PreflightCheck>& checks) override;
  void prepare_host(const VmRecord& vm) override;
  void contribute_machine(const VmRecord& vm, MachineConfig& machine) override;
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;
  void apply_config_change(const VmRecord& before, const VmRecord& after) override;
  // Checkpoints: the root disk's file (rootfs.ext4, or a dm-snapshot's rootfs.cow,
  // which over the same image is the same disk) copied as the file system best can.
  void save_disks(const VmRecord& vm, const std::filesystem::path& dir) override;
  void restore_disks(const VmRecord& vm, const std::filesystem::path& dir) override;
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override;

  // The VM's disk file (rootfs.ext4, or rootfs.cow for a dm-snapshot disk).
  std::filesystem::path root_disk(const VmRecord& vm) const;

 private:
  // The VM's image with the kernel this backend boots, or Error(invalid_args)
  // naming the fix.
  ImageRecord bootable_image(const VmRecord& vm);
  void add_root_disk_check(std::vector<DoctorCheck>& checks);
  // A clone's root disk from `from`: the source's disk file or a checkpoint's copy of it.
  void clone_root_disk(const VmRecord& source, const std::filesystem::path& from, VmRecord& clone,
                       ProgressSink& progress);
  // Before the first boot (issue 17, finding 6): writes a new SSH host key of
  // bangerd's making where the image's dropbear reads it and pins its public
  // half (GuestHostKeys). An image without dropbear's directory gets no key,
  // and the first SSH session pins the key its guest makes (trust on first use).
  void give_host_key(const VmRecord& vm, const ImageRecord& image, const std::filesystem::path& disk);

  ImageStore& images_;
  std::filesystem::path state_dir_;
  std::string kernel_file_;
  std::string backend_;
  bool default_backend_;
  disks::RootDisks root_disks_;
};

}  // namespace banger
