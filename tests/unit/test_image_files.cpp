#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "capabilities/image_files.h"
#include "core/errors.h"
#include "recording_events.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

struct ImageFilesTest : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("banger-image-" + std::to_string(getpid()));
  ImageFiles images{dir, "vmlinuz"};
  testing::NullProgress progress;
  VmRecord vm;

  void SetUp() override {
    fs::create_directories(dir / "images/default");
    vm.id = "0123456789abcdef0123456789abcdef";
    vm.name = "web";
    vm.image = "default";
    fs::create_directories(dir / "vms" / vm.id);
  }
  void TearDown() override { fs::remove_all(dir); }

  static void write_at(const fs::path& file, off_t offset, const std::string& data) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    if (!f) f.open(file, std::ios::out | std::ios::binary);
    f.seekp(offset);
    f << data;
  }
  static std::string read_all(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
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

TEST_F(ImageFilesTest, MissingImageIsRefusedAtCreate) {
  vm.image = "nonexistent";
  for (auto step : {std::function<void()>([&] { images.check_create(vm); }),
                    std::function<void()>([&] { images.provision(vm, progress); })}) {
    try {
      step();
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_args);
      EXPECT_NE(std::string(e.what()).find("nonexistent"), std::string::npos);
    }
  }
}

TEST_F(ImageFilesTest, ProvisionGivesTheVmItsOwnRootDisk) {
  write_at(dir / "images/default/rootfs.ext4", 0, "ext4 image");
  images.provision(vm, progress);
  EXPECT_EQ(read_all(dir / "vms" / vm.id / "rootfs.ext4"), "ext4 image");
  write_at(dir / "vms" / vm.id / "rootfs.ext4", 0, "EXT4");
  EXPECT_EQ(read_all(dir / "images/default/rootfs.ext4"), "ext4 image") << "the image must stay untouched";
}

TEST_F(ImageFilesTest, MachineGetsKernelInitrdDiskAndHostname) {
  write_at(dir / "images/default/vmlinuz", 0, "k");
  write_at(dir / "images/default/initrd.img", 0, "i");
  MachineConfig machine;
  images.contribute_machine(vm, machine);
  EXPECT_EQ(machine.kernel, dir / "images/default/vmlinuz");
  EXPECT_EQ(machine.initrd, dir / "images/default/initrd.img");
  ASSERT_EQ(machine.drives.size(), 1u);
  EXPECT_TRUE(machine.drives[0].is_root);
  EXPECT_EQ(machine.drives[0].path, dir / "vms" / vm.id / "rootfs.ext4");
  EXPECT_NE(std::find(machine.kernel_args.begin(), machine.kernel_args.end(), "banger.hostname=web"),
            machine.kernel_args.end());
}

TEST_F(ImageFilesTest, PreflightRefusesAMissingKernel) {
  write_at(dir / "vms" / vm.id / "rootfs.ext4", 0, "x");
  std::vector<PreflightCheck> checks;
  images.add_start_preflight(vm, checks);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_THROW(checks[0].run(), Error);
  write_at(dir / "images/default/vmlinuz", 0, "k");
  EXPECT_NO_THROW(checks[0].run());
}

}  // namespace
}  // namespace banger
