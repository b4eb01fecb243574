// The work disk on a host disk that is full, or fills up meanwhile: the create
// and the grow refused as resource_exhausted, nothing left and the disk usable.
// The tmpfs mounts need root; those tests skip without.
#include "work_disk_fixture.h"

#include <sys/mount.h>

#include <cstdlib>
#include <memory>

#include "capabilities/vm_directories.h"

namespace banger {
namespace {

using namespace work_disk_test;
using testing::error_message_of;
using testing::kind_of;

// A state directory on a tmpfs of `size_mib` MiB: a host disk that fills up.
class SmallHostDisk {
 public:
  explicit SmallHostDisk(int size_mib) {
    fs::create_directories(dir_.file("mnt"));
    const std::string options = "size=" + std::to_string(size_mib) + "m,mode=0700";
    mounted_ = ::mount("tmpfs", dir_.file("mnt").c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallHostDisk() {
    if (mounted_) ::umount2(dir_.file("mnt").c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  fs::path path() const { return dir_.file("mnt"); }

 private:
  testing::TempDir dir_;
  bool mounted_ = false;
};

TEST_F(WorkDiskTest, AnMkfsThatFindsTheDiskFullIsResourceExhausted) {
  // The free-space check passed, then the room went (another VM's disk filled up).
  const auto bin = dir.file("bin");
  fs::create_directory(bin);
  std::ofstream(bin / "mkfs.ext4") << "#!/bin/sh\necho 'mkfs.ext4: No space left on device while writing out' >&2\nexit 1\n";
  fs::permissions(bin / "mkfs.ext4", fs::perms::owner_all);
  const std::string saved = std::getenv("PATH");
  setenv("PATH", (bin.string() + ":" + saved).c_str(), 1);
  const auto message = error_message_of(ErrorKind::resource_exhausted, [&] { disk.provision(vm, progress); });
  setenv("PATH", saved.c_str(), 1);
  EXPECT_NE(message.find("full"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(file()));
}

TEST_F(WorkDiskTest, AFullHostDiskRefusesTheCreateAndLeavesNothing) {
  SmallHostDisk host(80);
  if (!host.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  run("fallocate -l 70M " + (host.path() / "filler").string());
  vm.work_disk_mib = 64;  // fits the host disk, but mkfs needs more than is left
  const auto small_state = host.path() / "state";
  auto directories = std::make_shared<VmDirectories>(small_state, host.path() / "run");
  auto work = std::make_shared<WorkDisk>(small_state);
  Capabilities capabilities({directories, work});

  const auto message = error_message_of(ErrorKind::resource_exhausted, [&] { capabilities.check_create(vm); });
  EXPECT_NE(message.find("free"), std::string::npos) << message;
  // Provision checks again (the room may have gone since) and cleans up after itself.
  EXPECT_EQ(kind_of([&] { capabilities.provision(vm, progress); }), ErrorKind::resource_exhausted);
  EXPECT_FALSE(fs::exists(directories->state_dir_of(vm)));
  EXPECT_FALSE(fs::exists(work->disk_of(vm)));
}

TEST_F(WorkDiskTest, GrowingOnAFullHostDiskIsRefusedAndTheDiskStaysUsable) {
  SmallHostDisk host(100);
  if (!host.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  WorkDisk small(host.path() / "state");
  fs::create_directories(host.path() / "state" / "vms" / vm.id);
  vm.work_disk_mib = 64;
  small.provision(vm, progress);
  // Fill the host disk but for a few MiB: too little for the new metadata.
  run("fallocate -l 90M " + (host.path() / "filler").string());
  VmRecord after = vm;
  after.work_disk_mib = 96;
  EXPECT_EQ(kind_of([&] { small.apply_config_change(vm, after); }), ErrorKind::resource_exhausted);
  EXPECT_EQ(filesystem_mib(small.disk_of(vm)), 64u);
  EXPECT_EQ(fs::file_size(small.disk_of(vm)), 64 * mib);
}

}  // namespace
}  // namespace banger
