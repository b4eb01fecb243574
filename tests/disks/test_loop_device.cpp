// Loop devices for real: attach, read through, detach only what is ours.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "core/errors.h"
#include "core/unique_fd.h"
#include "disks/loop_device.h"
#include "scratch_filesystem.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

struct LoopDeviceTest : ::testing::Test {
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "loop devices need root";
    file = dir.path() / "disk.img";
    std::ofstream(file) << "banger loop device";
    fs::resize_file(file, 8 << 20);
  }
  testing::ScratchDir dir;
  fs::path file;
};

std::string read_head(const fs::path& device, std::size_t n) {
  std::ifstream in(device, std::ios::binary);
  std::string data(n, '\0');
  in.read(data.data(), static_cast<std::streamsize>(n));
  return data;
}

TEST_F(LoopDeviceTest, ReadOnlyDeviceServesTheFileUntilDetached) {
  auto loop = disks::attach_loop(file, {.read_only = true});
  loop.fd.reset();  // no autoclear: the device stays without an open descriptor
  ASSERT_EQ(disks::loop_backing_file(loop.number), file);
  EXPECT_EQ(read_head(loop.path(), 18), "banger loop device");
  {
    UniqueFd writer(::open(loop.path().c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(writer.valid());
    EXPECT_EQ(::pwrite(writer.get(), "x", 1, 0), -1) << "a read-only device refuses writes";
  }
  const auto numbers = disks::loop_device_numbers(loop.number);
  EXPECT_EQ(numbers.substr(0, 2), "7:") << numbers;

  EXPECT_FALSE(disks::detach_loop(loop.number, dir.path() / "another.img")) << "not ours: left alone";
  EXPECT_EQ(disks::loop_backing_file(loop.number), file);
  EXPECT_TRUE(disks::detach_loop(loop.number, file));
  EXPECT_FALSE(disks::loop_backing_file(loop.number));
  EXPECT_FALSE(disks::detach_loop(loop.number, file)) << "already free";
}

TEST_F(LoopDeviceTest, AutoclearDeviceGoesWithItsLastUser) {
  auto loop = disks::attach_loop(file, {.autoclear = true});
  ASSERT_EQ(disks::loop_backing_file(loop.number), file);
  const int number = loop.number;
  loop.fd.reset();
  EXPECT_FALSE(disks::loop_backing_file(number));
}

TEST_F(LoopDeviceTest, MissingFileIsABackendError) {
  try {
    disks::attach_loop(dir.path() / "missing.img");
    FAIL() << "attached a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
    EXPECT_NE(std::string(e.what()).find("missing.img"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(testing::loop_devices_under(dir.path()).empty());
}

}  // namespace
}  // namespace banger
