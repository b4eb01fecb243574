// The image-files capability with real root disks: the strategy it records,
// its doctor line, the sizes it refuses, Set's grow, and a create that fails
// halfway through provisioning.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "capabilities/image_files.h"
#include "capabilities/vm_directories.h"
#include "core/capabilities.h"
#include "core/errors.h"
#include "disks/ext4_image.h"
#include "error_kind.h"
#include "recording_events.h"
#include "scratch_filesystem.h"
#include "store/sqlite_store.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

struct ImageFilesDisks : ::testing::Test {
  void SetUp() override {
    if (auto why = testing::enter_private_mount_namespace(); !why.empty()) GTEST_SKIP() << why;
  }

  // Registers a 64 MiB image with 8 MiB of data under `state`.
  void add_image(const fs::path& state) {
    fs::create_directories(state / "images/img1");
    image.id = "img1";
    image.name = "debian";
    image.kernel = state / "images/img1/vmlinuz";
    image.rootfs = state / "images/img1/rootfs.ext4";
    image.created_at_us = 1;
    testing::make_ext4_with_data(image.rootfs, 64, 8);
    store.insert_image(image);
    store.set_default_image(image.id);
    vm.id = "0123456789abcdef0123456789abcdef";
    vm.name = "web";
    vm.image = image.id;
    vm.backend = "qemu";
  }
  std::unique_ptr<ImageFiles> capability(const fs::path& state) {
    return std::make_unique<ImageFiles>(store, state, "vmlinuz", "qemu", true, scratch.path() / "run");
  }
  DoctorCheck root_disk_line(ImageFiles& files) {
    std::vector<DoctorCheck> checks;
    files.add_doctor_checks(checks);
    auto it = std::find_if(checks.begin(), checks.end(), [](const DoctorCheck& c) { return c.check == "root-disk"; });
    if (it == checks.end()) throw std::runtime_error("no root-disk line");
    return *it;
  }
  testing::ScratchDir scratch;
  SqliteStore store{":memory:"};
  testing::NullProgress progress;
  ImageRecord image;
  VmRecord vm;
};

TEST_F(ImageFilesDisks, OnXfsTheRootDiskIsAReflinkAndDoctorSaysOk) {
  auto xfs = testing::ScratchFilesystem::xfs(scratch.path(), 512);
  const auto state = xfs.mount_point() / "state";
  add_image(state);
  auto files = capability(state);
  const auto line = root_disk_line(*files);
  EXPECT_EQ(line.status, "ok");
  EXPECT_NE(line.summary.find("reflink"), std::string::npos) << line.summary;

  fs::create_directories(state / "vms" / vm.id);
  files->check_create(vm);
  files->provision(vm, progress);
  EXPECT_EQ(vm.root_disk_strategy, "reflink");
  EXPECT_EQ(files->root_disk(vm), state / "vms" / vm.id / "rootfs.ext4");
  const auto usage = testing::extent_usage(files->root_disk(vm));
  EXPECT_EQ(usage.shared, usage.total);
  MachineConfig machine;
  files->contribute_machine(vm, machine);
  ASSERT_EQ(machine.drives.size(), 1u);
  EXPECT_EQ(machine.drives[0].path, files->root_disk(vm));
}

TEST_F(ImageFilesDisks, OnTheDefaultFilesystemItCopiesAndDoctorWarnsWithTheFix) {
  const auto state = scratch.path() / "state";
  add_image(state);
  auto files = capability(state);
  const auto line = root_disk_line(*files);
  if (line.summary.find("copy") == std::string::npos) GTEST_SKIP() << "this filesystem can reflink: " << line.summary;
  EXPECT_EQ(line.status, "warn");
  EXPECT_NE(line.fix.find("mkfs.xfs -m reflink=1"), std::string::npos) << line.fix;

  fs::create_directories(state / "vms" / vm.id);
  vm.disk_mib = 100;
  files->check_create(vm);
  files->provision(vm, progress);
  EXPECT_EQ(vm.root_disk_strategy, "copy");
  EXPECT_EQ(disks::size_mib(files->root_disk(vm)), 100u);
}

TEST_F(ImageFilesDisks, CreateRefusesADiskBelowTheImageOrAboveTheFreeSpace) {
  auto xfs = testing::ScratchFilesystem::xfs(scratch.path(), 512);
  const auto state = xfs.mount_point() / "state";
  add_image(state);
  auto files = capability(state);
  vm.disk_mib = 16;
  const auto small = testing::error_message_of(ErrorKind::invalid_args, [&] { files->check_create(vm); });
  EXPECT_NE(small.find("16 MiB"), std::string::npos) << small;
  EXPECT_NE(small.find("64 MiB"), std::string::npos) << small;
  EXPECT_NE(small.find("debian"), std::string::npos) << small;

  vm.disk_mib = 4096;  // on a 512 MiB filesystem
  const auto big = testing::error_message_of(ErrorKind::resource_exhausted, [&] { files->check_create(vm); });
  EXPECT_NE(big.find("free"), std::string::npos) << big;

  vm.disk_mib = 256;
  EXPECT_NO_THROW(files->check_create(vm));
}

TEST_F(ImageFilesDisks, SetGrowsTheStoppedVmsDiskAndRefusesAShrink) {
  const auto state = scratch.path() / "state";
  add_image(state);
  auto files = capability(state);
  fs::create_directories(state / "vms" / vm.id);
  files->provision(vm, progress);
  EXPECT_EQ(disks::size_mib(files->root_disk(vm)), 64u);

  VmRecord grown = vm;
  grown.disk_mib = 128;
  files->apply_config_change(vm, grown);
  EXPECT_EQ(disks::size_mib(files->root_disk(vm)), 128u);

  VmRecord shrunk = grown;
  shrunk.disk_mib = 96;
  const auto why = testing::error_message_of(ErrorKind::invalid_args, [&] { files->apply_config_change(grown, shrunk); });
  EXPECT_NE(why.find("disks only grow"), std::string::npos) << why;
  EXPECT_EQ(disks::size_mib(files->root_disk(vm)), 128u);
}

TEST_F(ImageFilesDisks, ACreateThatFailsHalfwayLeavesNothingBehind) {
  // The image outside, the VMs' state on a tmpfs too small for a copy of it,
  // as if the disk filled up between CreateVM's check and the copy.
  auto small = testing::ScratchFilesystem::tmpfs(scratch.path(), 4);
  add_image(scratch.path() / "images-elsewhere");
  const auto state = small.mount_point();
  auto directories = std::make_shared<VmDirectories>(state, scratch.path() / "run");
  Capabilities capabilities({directories, std::shared_ptr<ImageFiles>(capability(state))});
  try {
    capabilities.provision(vm, progress);
    FAIL() << "8 MiB of data fit in 4 MiB";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::resource_exhausted) << e.what();
  }
  EXPECT_FALSE(fs::exists(state / "vms" / vm.id)) << "the VM's directory and its half copy went";
  EXPECT_TRUE(vm.root_disk_strategy.empty());
}

}  // namespace
}  // namespace banger
