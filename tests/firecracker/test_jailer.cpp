// The jailer's command line and the chroot banger prepares for it.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "vmm/firecracker/jailer.h"
#include "vmm/firecracker/unjailed.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

class Jailer : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/banger-jail-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root = dir;
    settings.binary = "/usr/bin/firecracker";
    settings.jailer = "/usr/bin/jailer";
    settings.jailer_uid = 123;
    settings.jailer_gid = 456;
    settings.chroot_base = root / "jail";
    machine.vm_id = "0123abcd";
    machine.runtime_dir = root / "run";
    machine.kernel = root / "image/vmlinux";
    machine.initrd = root / "image/initrd.img";
    machine.drives = {{"rootfs", root / "vm/rootfs.ext4", true, false}, {"seed", root / "vm/seed.img", false, true}};
    for (const auto& file : {machine.kernel, machine.initrd, machine.drives[0].path, machine.drives[1].path}) {
      fs::create_directories(file.parent_path());
      std::ofstream(file) << file.filename().string();
    }
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root, ec);
    if (!shm.empty()) fs::remove_all(shm, ec);
  }

  static struct stat stat_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st;
  }
  static bool same_file(const fs::path& a, const fs::path& b) { return stat_of(a).st_ino == stat_of(b).st_ino; }
  bool owned_by_jailer(const fs::path& path) const {
    auto st = stat_of(path);
    return st.st_uid == settings.jailer_uid && st.st_gid == settings.jailer_gid;
  }
  void need_root() {
    if (geteuid() != 0) GTEST_SKIP() << "handing files to another uid needs root";
  }

  fs::path root, shm;
  FirecrackerSettings settings;
  MachineConfig machine;
};

TEST_F(Jailer, CommandLineFollowsTheJailerDocs) {
  settings.jailer_cgroup_version = 2;
  settings.jailer_cgroups = {"cpu.max=50000 100000", "memory.max=1G"};
  EXPECT_EQ(jailer_command_line(settings, "0123abcd"),
            (std::vector<std::string>{"/usr/bin/jailer", "--id", "0123abcd", "--exec-file", "/usr/bin/firecracker",
                                      "--uid", "123", "--gid", "456", "--chroot-base-dir",
                                      (root / "jail").string(), "--cgroup-version", "2", "--cgroup",
                                      "cpu.max=50000 100000", "--cgroup", "memory.max=1G", "--", "--api-sock",
                                      "/run/firecracker.socket"}));
  EXPECT_EQ(jail_dir(settings, "0123abcd"), root / "jail/firecracker/0123abcd");
  EXPECT_EQ(jail_root(settings, "0123abcd"), root / "jail/firecracker/0123abcd/root");
}

TEST_F(Jailer, ViewNamesEverythingInsideTheChroot) {
  auto view = jailed_view(machine);
  EXPECT_EQ(view.runtime_dir, "/");
  EXPECT_EQ(view.kernel, "/kernel");
  EXPECT_EQ(view.initrd, "/initrd");
  EXPECT_EQ(view.drives[0].path, "/drive-rootfs");
  EXPECT_EQ(view.drives[1].path, "/drive-seed");
  EXPECT_TRUE(view.drives[0].is_root);
  machine.initrd.clear();
  EXPECT_TRUE(jailed_view(machine).initrd.empty());
}

TEST_F(Jailer, PrepareLinksTheFilesAndHandsTheWritableOnesToTheJailer) {
  need_root();
  const fs::path jail = jail_dir(settings, machine.vm_id), chroot = jail / "root";
  fs::create_directories(chroot / "stale");  // a jail left by a crash is replaced
  prepare_jail(settings, machine);
  EXPECT_FALSE(fs::exists(chroot / "stale"));
  EXPECT_TRUE(same_file(chroot / "kernel", machine.kernel)) << "a hard link, not a copy";
  EXPECT_TRUE(same_file(chroot / "initrd", machine.initrd));
  EXPECT_TRUE(same_file(chroot / "drive-rootfs", machine.drives[0].path));
  EXPECT_TRUE(same_file(chroot / "drive-seed", machine.drives[1].path));
  EXPECT_TRUE(owned_by_jailer(chroot / "drive-rootfs")) << "the jailed VMM writes its root disk";
  EXPECT_FALSE(owned_by_jailer(chroot / "kernel")) << "the image's shared kernel keeps its owner";
  EXPECT_FALSE(owned_by_jailer(chroot / "drive-seed")) << "a read-only disk keeps its owner";
  for (const char* made : {"run", "firecracker.log", "metrics.json"})
    EXPECT_TRUE(owned_by_jailer(chroot / made)) << made;

  remove_jail(jail);
  EXPECT_FALSE(fs::exists(jail));
  for (const auto& file : {machine.kernel, machine.initrd, machine.drives[0].path, machine.drives[1].path})
    EXPECT_TRUE(fs::exists(file)) << file << ": removing the jail removes only its links";
  remove_jail(jail);  // idempotent
}

TEST_F(Jailer, FilesOnAnotherFileSystemAreCopied) {
  need_root();
  if (!fs::is_directory("/dev/shm")) GTEST_SKIP() << "no tmpfs at /dev/shm";
  shm = fs::path("/dev/shm") / ("banger-jail-" + std::to_string(getpid()));
  fs::create_directories(shm);
  if (stat_of(shm).st_dev == stat_of(root).st_dev) GTEST_SKIP() << "/dev/shm and /tmp are one file system here";
  machine.kernel = shm / "vmlinux";
  std::ofstream(machine.kernel) << "kernel on tmpfs";
  prepare_jail(settings, machine);
  const fs::path copy = jail_root(settings, machine.vm_id) / "kernel";
  EXPECT_FALSE(same_file(copy, machine.kernel));
  std::ifstream in(copy);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "kernel on tmpfs");
  EXPECT_TRUE(owned_by_jailer(copy)) << "the jail's own copy";
}

// Issue 8: bangerd's unit runs it with UMask=0077, so its images are readable
// by root only; the VM's uid must still reach its "/" and read its kernel.
TEST_F(Jailer, UnderATightUmaskTheJailStaysUsableByTheVmsUid) {
  need_root();
  fs::permissions(machine.kernel, fs::perms::owner_read | fs::perms::owner_write);
  const mode_t old_umask = umask(0077);
  prepare_jail(settings, machine, JailOwner{900042, 900042});
  umask(old_umask);
  const fs::path chroot = jail_root(settings, machine.vm_id);
  EXPECT_EQ(stat_of(chroot).st_mode & 0777, 0755u) << "the VMM searches its /";
  EXPECT_FALSE(same_file(chroot / "kernel", machine.kernel)) << "a root-only kernel is copied, its mode kept";
  EXPECT_EQ(stat_of(chroot / "kernel").st_uid, 900042u) << "the copy is the VM's own";
  EXPECT_EQ(stat_of(machine.kernel).st_mode & 0777, 0600u) << "the image's file is left alone";
  EXPECT_TRUE(same_file(chroot / "initrd", machine.initrd)) << "a world-readable file is still linked";
  EXPECT_EQ(stat_of(chroot / "drive-rootfs").st_uid, 900042u);
}

TEST_F(Jailer, FailedPrepareLeavesNothing) {
  need_root();
  machine.drives[1].path = root / "vm/missing.img";
  EXPECT_THROW(prepare_jail(settings, machine), Error);
  EXPECT_FALSE(fs::exists(jail_dir(settings, machine.vm_id)));
}

// Unjailed, the VM's uid gets its writable drives: never a device node, whose
// number (and ownership) the next device would inherit.
TEST_F(Jailer, AnUnjailedVmmIsGivenNoDeviceNodeAsADrive) {
  need_root();
  const fs::path node = root / "vm/device";
  ASSERT_EQ(mknod(node.c_str(), S_IFCHR | 0600, makedev(1, 3)), 0);  // a node of this test's own, as /dev/null
  machine.drives = {{"rootfs", node, true, false}};
  fs::create_directories(machine.runtime_dir);
  try {
    prepare_unjailed(machine, {900005, 900005});
    ADD_FAILURE() << "a device node was handed over";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
    EXPECT_NE(std::string(e.what()).find("file drives only"), std::string::npos) << e.what();
  }
  EXPECT_EQ(stat_of(node).st_uid, 0u) << "the node stays root's";
  EXPECT_FALSE(fs::exists(unjailed_vmm_dir(machine.runtime_dir))) << "nothing is left behind";
}

TEST_F(Jailer, AnUnjailedVmmIsGivenItsWritableFileDrivesAndItsOwnDirectory) {
  need_root();
  fs::create_directories(machine.runtime_dir);
  const auto fds = prepare_unjailed(machine, {900005, 900005});
  EXPECT_EQ(fds.size(), 5u) << "directory, kernel, initrd, two drives";
  EXPECT_EQ(stat_of(machine.drives[0].path).st_uid, 900005u) << "the writable drive";
  EXPECT_EQ(stat_of(machine.drives[1].path).st_uid, 0u) << "the read-only one stays root's";
  const auto dir = stat_of(unjailed_vmm_dir(machine.runtime_dir));
  EXPECT_EQ(dir.st_uid, 900005u);
  EXPECT_EQ(dir.st_mode & 07777, 0700u);
}

}  // namespace
}  // namespace banger
