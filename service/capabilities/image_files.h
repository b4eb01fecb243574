#pragma once
#include <filesystem>
#include <string>

#include "core/capability.h"

namespace banger {

// Boots a VM from its image: <state>/images/<image>/ holds the kernel (the
// backend names the file), initrd.img and rootfs.ext4. At create, the VM gets
// its own copy of the rootfs (<state>/vms/<id>/rootfs.ext4: a reflink where the
// filesystem can, else a sparse copy); at start, kernel, initrd and that disk
// go to the VMM, and the VM's name to the guest's init.
class ImageFiles : public Capability {
 public:
  ImageFiles(std::filesystem::path state_dir, std::string kernel_file);

  std::string_view name() const override { return "image-files"; }
  void check_create(const VmRecord& vm) override;
  void provision(const VmRecord& vm, ProgressSink& progress) override;
  void add_start_preflight(const VmRecord& vm, std::vector<PreflightCheck>& checks) override;
  void contribute_machine(const VmRecord& vm, MachineConfig& machine) override;
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override;

  std::filesystem::path image_dir(const std::string& image) const { return state_dir_ / "images" / image; }
  std::filesystem::path root_disk(const VmRecord& vm) const { return state_dir_ / "vms" / vm.id / "rootfs.ext4"; }

 private:
  std::filesystem::path state_dir_;
  std::string kernel_file_;
};

// Copies `from` to `to` keeping holes: FICLONE when the filesystem shares
// extents, else copy_file_range over the data ranges (SEEK_DATA/SEEK_HOLE).
void copy_sparse(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace banger
