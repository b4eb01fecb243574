// QEMU's -sandbox where QEMU offers it, none where it does not (a host whose
// syscall policy refuses QEMU's seccomp probe): a VM still starts there.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "vmm/qemu/qemu_sandbox.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

fs::path stand_in(const std::string& name, const std::string& body) {
  const auto path = fs::temp_directory_path() / ("banger-sandbox-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

TEST(QemuSandbox, AQemuThatTakesItGetsTheWholeSandbox) {
  const auto qemu = stand_in("takes", "echo 'QEMU emulator version 7.2.0'");
  EXPECT_EQ(qemu_sandbox_args(qemu),
            (std::vector<std::string>{"-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"}));
  fs::remove(qemu);
}

TEST(QemuSandbox, AQemuWithoutTheOptionGroupStartsWithout) {
  const auto qemu = stand_in("refuses", "echo \"qemu-system-x86_64: -sandbox on: There is no option group 'sandbox'\" >&2; exit 1");
  EXPECT_TRUE(qemu_sandbox_args(qemu).empty());
  fs::remove(qemu);
}

TEST(QemuSandbox, TheRealQemuTakesItOnThisHost) {
  const fs::path qemu = "/usr/bin/qemu-system-x86_64";
  if (!fs::exists(qemu)) GTEST_SKIP() << "no QEMU installed";
  EXPECT_FALSE(qemu_sandbox_args(qemu).empty());
}

}  // namespace
}  // namespace banger
