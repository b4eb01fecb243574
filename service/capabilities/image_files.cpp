#include "capabilities/image_files.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

[[noreturn]] void fail(const std::string& what) {
  throw Error(ErrorKind::backend_failed, fmt::format("{}: {}", what, std::strerror(errno)));
}

}  // namespace

void copy_sparse(const fs::path& from, const fs::path& to) {
  Fd in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) fail("open " + from.string());
  struct stat st {};
  if (fstat(in.fd, &st) != 0) fail("stat " + from.string());
  Fd out(open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (out.fd < 0) fail("create " + to.string());
  if (ioctl(out.fd, FICLONE, in.fd) == 0) return;
  if (ftruncate(out.fd, st.st_size) != 0) fail("truncate " + to.string());
  off_t data = 0;
  while ((data = lseek(in.fd, data, SEEK_DATA)) >= 0) {
    off_t hole = lseek(in.fd, data, SEEK_HOLE);
    if (hole < 0) fail("seek " + from.string());
    loff_t src = data, dst = data;
    while (src < hole) {
      ssize_t n = copy_file_range(in.fd, &src, out.fd, &dst, static_cast<std::size_t>(hole - src), 0);
      if (n < 0) fail("copy " + from.string());
      if (n == 0) break;
    }
    data = hole;
  }
  if (errno != ENXIO) fail("seek " + from.string());  // ENXIO: no data past this offset
}

ImageFiles::ImageFiles(fs::path state_dir, std::string kernel_file)
    : state_dir_(std::move(state_dir)), kernel_file_(std::move(kernel_file)) {}

void ImageFiles::check_create(const VmRecord& vm) {
  auto rootfs = image_dir(vm.image) / "rootfs.ext4";
  if (!fs::exists(rootfs))
    throw Error(ErrorKind::invalid_args,
                fmt::format("image '{}' is not installed (no {}); build the default one with "
                            "scripts/build-default-image.sh {}",
                            vm.image, rootfs.string(), image_dir("default").string()));
}

void ImageFiles::provision(const VmRecord& vm, ProgressSink& progress) {
  check_create(vm);  // it may have gone since
  auto rootfs = image_dir(vm.image) / "rootfs.ext4";
  progress.report("copying the root disk", 0.3);
  copy_sparse(rootfs, root_disk(vm));
  progress.report("root disk ready", 0.8);
}

void ImageFiles::add_start_preflight(const VmRecord& vm, std::vector<PreflightCheck>& checks) {
  checks.push_back({"image files", [this, vm] {
                      for (const auto& file : {image_dir(vm.image) / kernel_file_, root_disk(vm)})
                        if (!fs::exists(file))
                          throw Error(ErrorKind::backend_failed,
                                      fmt::format("cannot start VM '{}': {} is missing", vm.name, file.string()));
                    }});
}

void ImageFiles::contribute_machine(const VmRecord& vm, MachineConfig& machine) {
  auto dir = image_dir(vm.image);
  machine.kernel = dir / kernel_file_;
  if (fs::exists(dir / "initrd.img")) machine.initrd = dir / "initrd.img";
  machine.drives.push_back({"rootfs", root_disk(vm), true, false});
  // Parameters with a dot reach the guest's init only through /proc/cmdline, which it parses.
  machine.kernel_args.push_back("panic=1");
  machine.kernel_args.push_back("banger.hostname=" + vm.name);
}

void ImageFiles::add_doctor_checks(std::vector<DoctorCheck>& checks) {
  auto kernel = image_dir("default") / kernel_file_;
  bool ok = fs::exists(kernel);
  checks.push_back({"default-image", ok ? "ok" : "fail",
                    ok ? "the default image has its kernel" : "the default image's kernel is missing",
                    kernel.string(),
                    ok ? "" : "scripts/build-default-image.sh " + image_dir("default").string()});
}

}  // namespace banger
