#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "capabilities/image_files.h"
#include "core/errors.h"
#include "core/sparse_copy.h"
#include "image_fixtures.h"
#include "recording_events.h"
#include "store/sqlite_store.h"

namespace banger {
namespace {

namespace fs = std::filesystem;
using testing::read_all;
using testing::write_at;

struct ImageFilesTest : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("banger-image-" + std::to_string(getpid()));
  SqliteStore store{":memory:"};
  ImageFiles qemu{store, dir, "vmlinuz", "qemu", true};  // the default backend
  ImageFiles firecracker{store, dir, "vmlinux", "firecracker", false};
  testing::NullProgress progress;
  VmRecord vm;
  ImageRecord image;

  void SetUp() override {
    fs::create_directories(dir / "images/img1");
    image.id = "img1";
    image.name = "debian";
    image.kernel = dir / "images/img1/vmlinuz";
    image.initrd = dir / "images/img1/initrd.img";
    image.rootfs = dir / "images/img1/rootfs.ext4";
    image.created_at_us = 1;
    store.insert_image(image);
    vm.id = "0123456789abcdef0123456789abcdef";
    vm.name = "web";
    vm.image = image.id;
    fs::create_directories(dir / "vms" / vm.id);
  }
  void TearDown() override { fs::remove_all(dir); }

  static std::string error_of(const std::function<void()>& f, ErrorKind expected) {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), expected) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  }
  std::vector<DoctorCheck> doctor(ImageFiles& capability) {
    std::vector<DoctorCheck> checks;
    capability.add_doctor_checks(checks);
    return checks;
  }
  static const DoctorCheck& check_named(const std::vector<DoctorCheck>& checks, const std::string& name) {
    auto it = std::find_if(checks.begin(), checks.end(), [&](const DoctorCheck& c) { return c.check == name; });
    if (it == checks.end()) throw std::runtime_error("no doctor check " + name);
    return *it;
  }
};

TEST_F(ImageFilesTest, SparseCopyKeepsContentAndHoles) {
  auto from = dir / "sparse.img";
  write_at(from, 0, "head");
  write_at(from, 16 << 20, "middle");
  fs::resize_file(from, 64 << 20);
  auto to = dir / "copy.img";
  copy_sparse(from, to);
  EXPECT_EQ(fs::file_size(to), 64u << 20);
  EXPECT_EQ(read_all(from), read_all(to));
  struct stat st {};
  ASSERT_EQ(stat(to.c_str(), &st), 0);
  EXPECT_LT(st.st_blocks * 512, 4 << 20) << "the holes were written out";
}

TEST_F(ImageFilesTest, UnknownImageIsRefusedAtCreateAndProvision) {
  vm.image = "nonexistent";
  for (auto step : {std::function<void()>([&] { qemu.check_create(vm); }),
                    std::function<void()>([&] { qemu.provision(vm, progress); })}) {
    const auto message = error_of(step, ErrorKind::invalid_args);
    EXPECT_NE(message.find("nonexistent"), std::string::npos) << message;
    EXPECT_NE(message.find("bangerctl image build"), std::string::npos) << message;
  }
}

TEST_F(ImageFilesTest, NoImageAndNoDefaultNamesTheFix) {
  vm.image = "";
  const auto message = error_of([&] { qemu.check_create(vm); }, ErrorKind::invalid_args);
  EXPECT_NE(message.find("no default image"), std::string::npos) << message;
  EXPECT_NE(message.find("bangerctl image build"), std::string::npos) << message;
}

TEST_F(ImageFilesTest, ImageWithoutTheBackendsKernelIsRefused) {
  EXPECT_NO_THROW(qemu.check_create(vm));
  const auto message = error_of([&] { firecracker.check_create(vm); }, ErrorKind::invalid_args);
  EXPECT_NE(message.find("vmlinux"), std::string::npos) << message;
  EXPECT_NE(message.find("--vmlinux"), std::string::npos) << message;
}

TEST_F(ImageFilesTest, RowsThatNameTheImageStillResolve) {
  vm.image = "debian";  // written before images had ids
  EXPECT_NO_THROW(qemu.check_create(vm));
}

TEST_F(ImageFilesTest, ProvisionGivesTheVmItsOwnRootDisk) {
  write_at(image.rootfs, 0, "ext4 image");
  qemu.provision(vm, progress);
  EXPECT_EQ(read_all(dir / "vms" / vm.id / "rootfs.ext4"), "ext4 image");
  write_at(dir / "vms" / vm.id / "rootfs.ext4", 0, "EXT4");
  EXPECT_EQ(read_all(image.rootfs), "ext4 image") << "the image must stay untouched";
}

TEST_F(ImageFilesTest, MachineGetsTheBackendsKernelInitrdDiskAndHostname) {
  MachineConfig machine;
  qemu.contribute_machine(vm, machine);
  EXPECT_EQ(machine.kernel, image.kernel);
  EXPECT_EQ(machine.initrd, image.initrd);
  ASSERT_EQ(machine.drives.size(), 1u);
  EXPECT_TRUE(machine.drives[0].is_root);
  EXPECT_EQ(machine.drives[0].path, dir / "vms" / vm.id / "rootfs.ext4");
  EXPECT_NE(std::find(machine.kernel_args.begin(), machine.kernel_args.end(), "banger.hostname=web"),
            machine.kernel_args.end());

  ImageRecord both = image;
  both.id = "img2";
  both.name = "both";
  both.vmlinux = dir / "images/img2/vmlinux";
  both.initrd = "";
  store.insert_image(both);
  vm.image = both.id;
  MachineConfig fc;
  firecracker.contribute_machine(vm, fc);
  EXPECT_EQ(fc.kernel, both.vmlinux);
  EXPECT_TRUE(fc.initrd.empty()) << "an image without initrd boots without one";
}

TEST_F(ImageFilesTest, PreflightRefusesAMissingKernel) {
  write_at(dir / "vms" / vm.id / "rootfs.ext4", 0, "x");
  std::vector<PreflightCheck> checks;
  qemu.add_start_preflight(vm, checks);
  ASSERT_EQ(checks.size(), 1u);
  error_of([&] { checks[0].run(); }, ErrorKind::backend_failed);
  write_at(image.kernel, 0, "k");
  EXPECT_NO_THROW(checks[0].run());
}

TEST_F(ImageFilesTest, DoctorSaysWhetherEachBackendCanBootTheDefaultImage) {
  auto none = doctor(qemu);
  ASSERT_EQ(none.size(), 2u) << "the kernel line and, from the default backend only, the root-disk line";
  EXPECT_NO_THROW(check_named(none, "root-disk"));
  EXPECT_THROW(check_named(doctor(firecracker), "root-disk"), std::runtime_error) << "one root-disk line per host";
  EXPECT_EQ(check_named(none, "qemu-kernel").status, "fail") << "the default backend has nothing to boot";
  EXPECT_EQ(check_named(none, "qemu-kernel").fix, "bangerctl image build");
  EXPECT_EQ(check_named(doctor(firecracker), "firecracker-kernel").status, "warn");

  store.set_default_image(image.id);  // a bzImage, no vmlinux
  auto qemu_checks = doctor(qemu);
  EXPECT_EQ(check_named(qemu_checks, "qemu-kernel").status, "ok");
  EXPECT_EQ(check_named(qemu_checks, "qemu-kernel").detail, image.kernel);
  const auto fc_kernel = check_named(doctor(firecracker), "firecracker-kernel");
  EXPECT_EQ(fc_kernel.status, "warn") << "VMs get QEMU unless they ask for Firecracker";
  EXPECT_NE(fc_kernel.summary.find("firecracker cannot boot it"), std::string::npos) << fc_kernel.summary;
  EXPECT_NE(fc_kernel.fix.find("--vmlinux"), std::string::npos) << fc_kernel.fix;
  EXPECT_NE(fc_kernel.fix.find("CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES"), std::string::npos) << fc_kernel.fix;

  ImageFiles firecracker_by_default{store, dir, "vmlinux", "firecracker", true};
  EXPECT_EQ(check_named(doctor(firecracker_by_default), "firecracker-kernel").status, "fail")
      << "the default backend cannot boot the default image";

  ImageRecord with_vmlinux = image;
  with_vmlinux.id = "img3";
  with_vmlinux.name = "fc";
  with_vmlinux.vmlinux = dir / "images/img3/vmlinux";
  store.insert_image(with_vmlinux);
  store.set_default_image(with_vmlinux.id);
  auto ok = doctor(firecracker_by_default);
  EXPECT_EQ(check_named(ok, "firecracker-kernel").status, "ok");
  EXPECT_EQ(check_named(ok, "firecracker-kernel").detail, with_vmlinux.vmlinux);
}

}  // namespace
}  // namespace banger
