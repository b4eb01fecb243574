#pragma once
#include <filesystem>
#include <string>

#include "core/capability.h"
#include "core/image.h"
#include "store/image_store.h"

namespace banger {

// Boots a VM from its image (a registered ImageRecord; the VM records its id).
// At create, the VM gets its own copy of the image's rootfs
// (<state>/vms/<id>/rootfs.ext4: a reflink where the filesystem can, else a
// sparse copy); at start, the kernel this backend boots (`kernel_file`, see
// VmmBackend::kernel_file), the initrd and that disk go to the VMM, and the
// VM's name to the guest's init.
class ImageFiles : public Capability {
 public:
  // `backend` names the VMM backend this instance serves (doctor lines);
  // `default_backend`: VMs get that backend when their creator names none, so
  // it must boot the default image.
  ImageFiles(ImageStore& images, std::filesystem::path state_dir, std::string kernel_file, std::string backend,
             bool default_backend);

  std::string_view name() const override { return "image-files"; }
  void check_create(const VmRecord& vm) override;
  void provision(VmRecord& vm, ProgressSink& progress) override;
  void add_start_preflight(const VmRecord& vm, std::vector<PreflightCheck>& checks) override;
  void contribute_machine(const VmRecord& vm, MachineConfig& machine) override;
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override;

  std::filesystem::path root_disk(const VmRecord& vm) const { return state_dir_ / "vms" / vm.id / "rootfs.ext4"; }

 private:
  // The VM's image with the kernel this backend boots, or Error(invalid_args)
  // naming the fix.
  ImageRecord bootable_image(const VmRecord& vm);

  ImageStore& images_;
  std::filesystem::path state_dir_;
  std::string kernel_file_;
  std::string backend_;
  bool default_backend_;
};

}  // namespace banger
