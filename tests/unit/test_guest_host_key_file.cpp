// Issue 17, finding 6: a VM's root disk gets an SSH host key of bangerd's
// making before the guest first boots, and the VM's pin is its public half;
// a clone gets a key of its own. Real ext4 images (mkfs.ext4 -d), read back
// with debugfs and dropbearkey as the guest's dropbear would read them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "capabilities/guest_host_key.h"
#include "capabilities/guest_host_keys.h"
#include "capabilities/image_files.h"
#include "recording_events.h"
#include "ssh_fixtures.h"
#include "store/sqlite_store.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

struct GuestHostKeyFileTest : ::testing::Test {
  testing::TempDir dir{"guest-host-key"};
  SqliteStore store{":memory:"};
  ImageFiles qemu{store, dir.path, "vmlinuz", "qemu", true};
  GuestHostKeys pins{dir.path};
  testing::NullProgress progress;
  ImageRecord image;
  VmRecord vm;

  void SetUp() override {
    for (const char* tool : {"mkfs.ext4", "debugfs", "dropbearkey"})
      if (!testing::shell_output(std::string("command -v ") + tool, dir.path))
        GTEST_SKIP() << tool << " is not installed";
    image.id = "img1";
    image.name = "debian";
    image.kernel = (dir.path / "images/img1/vmlinuz").string();
    image.rootfs = (dir.path / "images/img1/rootfs.ext4").string();
    image.created_at_us = 1;
    store.insert_image(image);
    vm.id = "0123456789abcdef0123456789abcdef";
    vm.name = "web";
    vm.image = image.id;
    fs::create_directories(dir.path / "vms" / vm.id);
  }

  // An 8 MiB ext4 image holding `tree` (made under a scratch directory).
  void make_image(const std::vector<std::string>& dirs) {
    const auto tree = dir.path / "tree";
    fs::create_directories(tree);
    for (const auto& d : dirs) fs::create_directories(tree / d);
    fs::create_directories(fs::path(image.rootfs).parent_path());
    ASSERT_TRUE(testing::shell_output("mkfs.ext4 -q -F -d '" + tree.string() + "' '" + image.rootfs +
                                          "' 8M >/dev/null 2>&1",
                                      dir.path));
  }

  // The public key line of the host key file the disk holds, or "" when none.
  std::string host_key_on(const fs::path& disk) {
    const auto copy = dir.path / "dumped-key";
    fs::remove(copy);
    testing::shell_output("debugfs -R 'dump " + std::string(dropbear_ed25519_host_key_file) + " " + copy.string() +
                              "' '" + disk.string() + "' >/dev/null 2>&1",
                          dir.path);
    if (!fs::exists(copy)) return "";
    const auto shown = testing::shell_output("dropbearkey -y -f '" + copy.string() + "' 2>/dev/null", dir.path);
    if (!shown) return "(not a key dropbear reads)";
    const auto line = shown->substr(shown->find("ssh-ed25519 "));
    return line.substr(0, line.find(' ', line.find(' ') + 1));
  }
};

TEST_F(GuestHostKeyFileTest, CreateGivesTheGuestAKeyAndPinsIt) {
  make_image({"etc/dropbear"});
  qemu.provision(vm, progress);
  const auto pinned = pins.pinned(vm.id);
  ASSERT_TRUE(pinned);
  EXPECT_EQ(host_key_on(qemu.root_disk(vm)), *pinned);
  EXPECT_EQ(host_key_on(fs::path(image.rootfs)), "") << "the image must stay untouched";
}

TEST_F(GuestHostKeyFileTest, CloneGetsAKeyOfItsOwn) {
  make_image({"etc/dropbear"});
  qemu.provision(vm, progress);
  VmRecord clone = vm;
  clone.id = "fedcba9876543210fedcba9876543210";
  clone.name = "web-2";
  fs::create_directories(dir.path / "vms" / clone.id);
  qemu.provision_clone(vm, clone, progress);
  const auto source_pin = pins.pinned(vm.id), clone_pin = pins.pinned(clone.id);
  ASSERT_TRUE(source_pin && clone_pin);
  EXPECT_NE(*clone_pin, *source_pin);
  EXPECT_EQ(host_key_on(qemu.root_disk(clone)), *clone_pin);
  EXPECT_EQ(host_key_on(qemu.root_disk(vm)), *source_pin);
}

// An image that does not run dropbear has nowhere to take the key: nothing is
// pinned, so the first SSH session pins the guest's own key.
TEST_F(GuestHostKeyFileTest, ImageWithoutDropbearsDirectoryIsLeftToFirstContact) {
  make_image({"etc/ssh"});
  qemu.provision(vm, progress);
  EXPECT_FALSE(pins.pinned(vm.id));
  EXPECT_EQ(host_key_on(qemu.root_disk(vm)), "");
}

}  // namespace
}  // namespace banger
