#pragma once
// The fixture of the Firecracker bus tests: the fake VMM boots nothing, but
// bangerd checks and copies the image's files, so stand-ins are imported
// through ImportImage: "fc-default" (vmlinux, the default) and "qemu-only"
// (no vmlinux, which a Firecracker VM must refuse).
#include <filesystem>

#include "image_support.h"
#include "test_support.h"

namespace banger::test {

class FakeImageTest : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const auto src = env().dir() / "image-src";
    if (std::filesystem::exists(src)) return;  // imported by an earlier test of this suite
    write_stand_in_image(src);
    auto connection = sdbus::createSessionBusConnectionWithAddress(env().address());
    auto manager = sdbus::createProxy(*connection, kService, kRoot);
    import_image_ready(*manager, *recorder_, "fc-default",
                       {{"vmlinux", fd_variant(src / "vmlinux")}, {"rootfs", fd_variant(src / "rootfs.ext4")}});
    manager->callMethod("SetDefaultImage").onInterface(kManager).withArguments(std::string("fc-default"));
    import_image_ready(*manager, *recorder_, "qemu-only",
                       {{"kernel", fd_variant(src / "vmlinuz")}, {"rootfs", fd_variant(src / "rootfs.ext4")}});
  }
};

}  // namespace banger::test
