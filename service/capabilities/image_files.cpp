#include "capabilities/image_files.h"
#include "core/fault_points.h"

#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/sparse_copy.h"
#include "disks/dm_snapshot.h"
#include "disks/ext4_image.h"
#include "capabilities/guest_host_key.h"
#include "capabilities/guest_host_keys.h"
#include "core/log.h"
#include "disks/guest_host_key_file.h"
#include "disks/guest_identity.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

constexpr const char* build_hint = "build the default image with 'bangerctl image build'";

std::string describe_kernel(std::string_view kernel_file) {
  return kernel_file == "vmlinux" ? "an ELF kernel (vmlinux) for Firecracker" : "a bzImage kernel for QEMU";
}

std::string import_option(std::string_view kernel_file) {
  return kernel_file == "vmlinux" ? "--vmlinux" : "--kernel";
}

constexpr std::uint64_t mib_bytes = 1024 * 1024;

// VMs made before strategies were recorded have a copied rootfs.ext4.
disks::RootDiskStrategy strategy_of(const VmRecord& vm) {
  return disks::parse_root_disk_strategy(vm.root_disk_strategy).value_or(disks::RootDiskStrategy::copy);
}

std::uint64_t allocated_bytes(const fs::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_blocks) * 512 : 0;
}

}  // namespace

ImageFiles::ImageFiles(ImageStore& images, fs::path state_dir, std::string kernel_file, std::string backend,
                       bool default_backend, fs::path runtime_dir)
    : images_(images),
      state_dir_(std::move(state_dir)),
      kernel_file_(std::move(kernel_file)),
      backend_(std::move(backend)),
      default_backend_(default_backend),
      root_disks_(state_dir_, std::move(runtime_dir)) {}

fs::path ImageFiles::root_disk(const VmRecord& vm) const { return root_disks_.file(vm.id, strategy_of(vm)); }

ImageRecord ImageFiles::bootable_image(const VmRecord& vm) {
  if (vm.image.empty())
    throw Error(ErrorKind::invalid_args,
                fmt::format("no image given and there is no default image: {}, or import one with "
                            "'bangerctl image import' and make it the default with 'bangerctl image default'",
                            build_hint));
  auto image = images_.find_image(vm.image);
  if (!image) {
    // Rows written before images were registered name the image instead of its id.
    auto all = images_.list_images();
    auto by_name = std::find_if(all.begin(), all.end(), [&](const ImageRecord& i) { return i.name == vm.image; });
    if (by_name == all.end())
      throw Error(ErrorKind::invalid_args,
                  fmt::format("image '{}' is not installed: {}, or import it with 'bangerctl image import'", vm.image,
                              build_hint));
    image = *by_name;
  }
  if (image->kernel_for(kernel_file_).empty())
    throw Error(ErrorKind::invalid_args,
                fmt::format("image '{}' has no {}, which this daemon's backend boots; import an image with one "
                            "('bangerctl image import NAME --rootfs FILE {} FILE')",
                            image->name, describe_kernel(kernel_file_), import_option(kernel_file_)));
  return *image;
}

void ImageFiles::check_create(const VmRecord& vm) {
  const auto image = bootable_image(vm);
  std::error_code ec;
  if (!fs::is_regular_file(image.rootfs, ec)) return;  // provision names what is wrong with it
  const auto image_mib = disks::size_mib(image.rootfs);
  if (vm.disk_mib != 0 && vm.disk_mib < image_mib)
    throw Error(ErrorKind::invalid_args,
                fmt::format("option 'disk': {} MiB is smaller than the root filesystem of image '{}' ({} MiB); "
                            "give at least {} MiB",
                            vm.disk_mib, image.name, image_mib, image_mib));
  // What the disk may come to take beyond the image's blocks: a reflink or a
  // snapshot shares them, a copy needs its own, and growth is new room either way.
  const std::uint64_t growth = vm.disk_mib > image_mib ? (vm.disk_mib - image_mib) * mib_bytes : 0;
  const auto strategy = root_disks_.best_strategy();
  const std::uint64_t own = strategy == disks::RootDiskStrategy::copy ? allocated_bytes(image.rootfs) : 0;
  disks::require_free_space(state_dir_, own + growth,
                            fmt::format("option 'disk': the root disk of VM '{}' ({} MiB, {} of image '{}')", vm.name,
                                        std::max(vm.disk_mib, image_mib), disks::to_string(strategy), image.name));
}

void ImageFiles::provision(VmRecord& vm, ProgressSink& progress) {
  auto image = bootable_image(vm);  // it may have gone since
  progress.report("cloning the root disk", 0.3);
  BANGER_FAULT_POINT("create.root-disk-copying");
  const auto strategy = root_disks_.create(vm.id, image.rootfs, vm.disk_mib);
  BANGER_FAULT_POINT("create.root-disk-copied");
  vm.root_disk_strategy = disks::to_string(strategy);
  try {
    if (strategy == disks::RootDiskStrategy::dm_snapshot) {
      const auto device = root_disks_.activate(vm.id, strategy, image.rootfs, vm.disk_mib);
      give_host_key(vm, image, device);
      root_disks_.deactivate(vm.id);
    } else {
      give_host_key(vm, image, root_disks_.file(vm.id, strategy));
    }
  } catch (...) {
    root_disks_.deactivate(vm.id);
    root_disks_.remove(vm.id);
    throw;
  }
  progress.report(fmt::format("root disk ready ({})", disks::to_string(strategy)), 0.8);
}

void ImageFiles::provision_clone(const VmRecord& source, VmRecord& clone, ProgressSink& progress) {
  const auto from = root_disk(source);
  if (!fs::exists(from))
    throw Error(ErrorKind::backend_failed, fmt::format("VM '{}' has no root disk at {}", source.name, from.string()));
  clone_root_disk(source, from, clone, progress);
}

void ImageFiles::provision_from_checkpoint(const VmRecord& source, const fs::path& dir, VmRecord& clone,
                                           ProgressSink& progress) {
  // save_disks named the copy after the source's own file.
  const auto from = dir / root_disk(source).filename();
  if (!fs::exists(from))
    throw Error(ErrorKind::backend_failed,
                fmt::format("the checkpoint of VM '{}' has no root disk at {}", source.name, from.string()));
  clone_root_disk(source, from, clone, progress);
}

void ImageFiles::clone_root_disk(const VmRecord& source, const fs::path& from, VmRecord& clone,
                                 ProgressSink& progress) {
  auto image = bootable_image(clone);
  progress.report("cloning the root disk", 0.3);
  const auto strategy = strategy_of(source);
  try {
    if (strategy == disks::RootDiskStrategy::dm_snapshot) {
      // The snapshot's COW file holds the source's changes; over the same image it is the same disk.
      copy_sparse(from, root_disks_.file(clone.id, strategy));
      clone.root_disk_strategy = disks::to_string(strategy);
      const auto device = root_disks_.activate(clone.id, strategy, image.rootfs, clone.disk_mib);
      disks::forget_ssh_host_keys(device);
      give_host_key(clone, image, device);
      root_disks_.deactivate(clone.id);
    } else {
      // The source's disk stands in for the image: the best strategy copies it.
      clone.root_disk_strategy = disks::to_string(root_disks_.create(clone.id, from, clone.disk_mib));
      disks::forget_ssh_host_keys(root_disks_.file(clone.id, strategy_of(clone)));
      give_host_key(clone, image, root_disks_.file(clone.id, strategy_of(clone)));
    }
  } catch (...) {
    root_disks_.deactivate(clone.id);
    root_disks_.remove(clone.id);
    throw;
  }
  BANGER_FAULT_POINT("clone.root-disk-copied");
  progress.report(fmt::format("root disk ready ({})", clone.root_disk_strategy), 0.8);
}

void ImageFiles::save_disks(const VmRecord& vm, const fs::path& dir) {
  const auto from = root_disk(vm);
  copy_sparse_durably(from, dir / from.filename());
}

void ImageFiles::restore_disks(const VmRecord& vm, const fs::path& dir) {
  const auto to = root_disk(vm);
  const auto from = dir / to.filename();
  if (!fs::exists(from))
    throw Error(ErrorKind::backend_failed, fmt::format("the checkpoint has no root disk at {}", from.string()));
  replace_with_copy(from, to);
}

void ImageFiles::give_host_key(const VmRecord& vm, const ImageRecord& image, const fs::path& disk) {
  const auto key = make_guest_host_key();
  const GuestHostKeys pins(state_dir_);
  if (disks::write_guest_secret_file(disk, dropbear_ed25519_host_key_file, key.dropbear_file)) {
    pins.pin(vm.id, key.public_line);
    return;
  }
  std::error_code ec;
  fs::remove(pins.file_of(vm.id), ec);
  log::info("VM '{}': image '{}' has no {} to give the guest its SSH host key in; the key the guest shows at the "
            "first SSH session is pinned instead",
            vm.name, image.name, fs::path(dropbear_ed25519_host_key_file).parent_path().string());
}

void ImageFiles::add_start_preflight(const VmRecord& vm, std::vector<PreflightCheck>& checks) {
  checks.push_back({"image files", [this, vm] {
                      ImageRecord image;
                      try {
                        image = bootable_image(vm);
                      } catch (const Error& e) {
                        throw Error(ErrorKind::backend_failed, fmt::format("cannot start VM '{}': {}", vm.name, e.what()));
                      }
                      std::vector<fs::path> files{image.kernel_for(kernel_file_), root_disk(vm)};
                      if (strategy_of(vm) == disks::RootDiskStrategy::dm_snapshot) {
                        files.push_back(image.rootfs);
                        if (auto why = disks::device_mapper_unavailable(); !why.empty())
                          throw Error(ErrorKind::backend_failed,
                                      fmt::format("cannot start VM '{}': its root disk is a device-mapper snapshot, "
                                                  "but device-mapper is not available: {}",
                                                  vm.name, why));
                      }
                      for (const auto& file : files)
                        if (!fs::exists(file))
                          throw Error(ErrorKind::backend_failed,
                                      fmt::format("cannot start VM '{}': {} is missing", vm.name, file.string()));
                    }});
}

void ImageFiles::prepare_host(const VmRecord& vm) {
  const auto strategy = strategy_of(vm);
  if (strategy != disks::RootDiskStrategy::dm_snapshot) return;
  root_disks_.activate(vm.id, strategy, bootable_image(vm).rootfs, vm.disk_mib);
}

void ImageFiles::contribute_machine(const VmRecord& vm, MachineConfig& machine) {
  auto image = bootable_image(vm);
  machine.kernel = image.kernel_for(kernel_file_);
  if (!image.initrd.empty()) machine.initrd = image.initrd;
  machine.drives.push_back({"rootfs", root_disks_.device(vm.id, strategy_of(vm)), true, false});
  // Parameters with a dot reach the guest's init only through /proc/cmdline, which it parses.
  machine.kernel_args.push_back("panic=1");
  machine.kernel_args.push_back("banger.hostname=" + vm.name);
}

void ImageFiles::cleanup(const VmRecord& vm, CleanupReason reason) noexcept {
  if (reason == CleanupReason::deleted || reason == CleanupReason::create_failed)
    root_disks_.remove(vm.id);
  else
    root_disks_.deactivate(vm.id);
}

void ImageFiles::apply_config_change(const VmRecord& before, const VmRecord& after) {
  if (after.disk_mib == before.disk_mib) return;
  const auto strategy = strategy_of(before);
  // Only a snapshot's size depends on its image.
  const fs::path image =
      strategy == disks::RootDiskStrategy::dm_snapshot ? fs::path(bootable_image(before).rootfs) : fs::path();
  const auto current = root_disks_.size_mib(before.id, strategy, image, before.disk_mib);
  root_disks_.grow(before.id, strategy, image, current, after.disk_mib);
}

void ImageFiles::add_root_disk_check(std::vector<DoctorCheck>& checks) {
  const auto dir = (state_dir_ / "vms").string();
  switch (root_disks_.best_strategy()) {
    case disks::RootDiskStrategy::reflink:
      checks.push_back({"root-disk", "ok", "reflink: root disks are copy-on-write clones of their image, made at once",
                        dir, ""});
      return;
    case disks::RootDiskStrategy::dm_snapshot:
      checks.push_back({"root-disk", "ok",
                        "dm-snapshot: root disks are device-mapper snapshots of their image (the state directory "
                        "cannot reflink)",
                        dir, ""});
      return;
    case disks::RootDiskStrategy::copy:
      checks.push_back({"root-disk", "warn",
                        "copy: root disks are full copies of their image, slow to make and taking room",
                        fmt::format("{} cannot share extents (FICLONE) and device-mapper is not available ({})", dir,
                                    disks::device_mapper_unavailable()),
                        "put the state directory on btrfs or xfs (mkfs.xfs -m reflink=1)"});
      return;
  }
}

void ImageFiles::add_doctor_checks(std::vector<DoctorCheck>& checks) {
  // The state directory is the host's, not a backend's: one line, from the default backend.
  if (default_backend_) add_root_disk_check(checks);
  // One line per backend: can it boot the default image? Only the default
  // backend must; another one lacking its kernel is worth a warning.
  const std::string check = backend_ + "-kernel";
  const std::string missing = default_backend_ ? "fail" : "warn";
  const auto images = images_.list_images();
  const auto def = std::find_if(images.begin(), images.end(), [](const ImageRecord& i) { return i.is_default; });
  if (def == images.end()) {
    checks.push_back({check, missing, fmt::format("there is no default image: {} has nothing to boot", backend_), "",
                      "bangerctl image build"});
    return;
  }
  const auto kernel = def->kernel_for(kernel_file_);
  if (!kernel.empty()) {
    checks.push_back({check, "ok", fmt::format("the default image '{}' has {}", def->name, describe_kernel(kernel_file_)),
                      kernel, ""});
    return;
  }
  std::string fix = fmt::format("bangerctl image import NAME --rootfs FILE {} FILE [--kernel|--vmlinux FILE] "
                                "[--initrd FILE], then bangerctl image default NAME",
                                import_option(kernel_file_));
  // Firecracker announces its virtio devices on the kernel command line, which
  // needs CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES; Debian's kernels lack it.
  if (kernel_file_ == "vmlinux") fix = "build a kernel with CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y and import it: " + fix;
  checks.push_back({check, missing,
                    fmt::format("the default image '{}' has no {}: {} cannot boot it", def->name,
                                describe_kernel(kernel_file_), backend_),
                    def->id, fix});
}

}  // namespace banger
