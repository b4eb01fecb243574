#pragma once
// The fixture of the Firecracker bus tests: the fake VMM boots nothing, but
// bangerd checks and copies the default image's files, so stand-ins are installed.
#include <filesystem>
#include <fstream>

#include "test_support.h"

namespace banger::test {

class FakeImageTest : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto image = env().dir() / "state" / "images" / "default";
    std::filesystem::create_directories(image);
    std::ofstream(image / "vmlinux") << "ELF kernel stand-in";
    std::ofstream(image / "rootfs.ext4") << "rootfs stand-in";
  }
};

}  // namespace banger::test
