#include "capabilities/image_files.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/sparse_copy.h"

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

}  // namespace

ImageFiles::ImageFiles(ImageStore& images, fs::path state_dir, std::string kernel_file, std::string backend,
                       bool default_backend)
    : images_(images),
      state_dir_(std::move(state_dir)),
      kernel_file_(std::move(kernel_file)),
      backend_(std::move(backend)),
      default_backend_(default_backend) {}

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

void ImageFiles::check_create(const VmRecord& vm) { bootable_image(vm); }

void ImageFiles::provision(VmRecord& vm, ProgressSink& progress) {
  auto image = bootable_image(vm);  // it may have gone since
  progress.report("copying the root disk", 0.3);
  copy_sparse(image.rootfs, root_disk(vm));
  progress.report("root disk ready", 0.8);
}

void ImageFiles::add_start_preflight(const VmRecord& vm, std::vector<PreflightCheck>& checks) {
  checks.push_back({"image files", [this, vm] {
                      fs::path kernel;
                      try {
                        kernel = bootable_image(vm).kernel_for(kernel_file_);
                      } catch (const Error& e) {
                        throw Error(ErrorKind::backend_failed, fmt::format("cannot start VM '{}': {}", vm.name, e.what()));
                      }
                      for (const auto& file : {kernel, root_disk(vm)})
                        if (!fs::exists(file))
                          throw Error(ErrorKind::backend_failed,
                                      fmt::format("cannot start VM '{}': {} is missing", vm.name, file.string()));
                    }});
}

void ImageFiles::contribute_machine(const VmRecord& vm, MachineConfig& machine) {
  auto image = bootable_image(vm);
  machine.kernel = image.kernel_for(kernel_file_);
  if (!image.initrd.empty()) machine.initrd = image.initrd;
  machine.drives.push_back({"rootfs", root_disk(vm), true, false});
  // Parameters with a dot reach the guest's init only through /proc/cmdline, which it parses.
  machine.kernel_args.push_back("panic=1");
  machine.kernel_args.push_back("banger.hostname=" + vm.name);
}

void ImageFiles::add_doctor_checks(std::vector<DoctorCheck>& checks) {
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
