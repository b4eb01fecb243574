// The work disk on a real guest: the real bangerd (QEMU backend, the default
// image, taps and SSH) runs inside a network namespace of this suite's own, as
// in bus-guest-network; checks look into the guest over SSH with the daemon's
// key, and at the disk's file in the daemon's state directory.
#include <sys/statvfs.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>
#include <iterator>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "bangerd_netns.h"
#include "default_image.h"
#include "guest_shell.h"
#include "host_mounts.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;

// The sizes the suite gives its guest's work disk: made, then grown by Set.
constexpr std::uint32_t kFirstMib = 1024;
constexpr std::uint32_t kGrownMib = 2048;

// `df -m /work`'s size column, in MiB; 0 when /work is not a mount of its own.
std::uint64_t work_df_mib(const InGuest& in_guest) {
  const auto df = in_guest("grep -q \" /work \" /proc/mounts && df -m /work | tail -n1");
  std::istringstream fields(df.out);
  std::string device;
  std::uint64_t size = 0;
  fields >> device >> size;
  return df.status == 0 ? size : 0;
}

// ext4 keeps some blocks for itself (journal, tables): df shows a little less than the disk.
void expect_about(std::uint64_t df_mib, std::uint64_t disk_mib) {
  EXPECT_LE(df_mib, disk_mib);
  EXPECT_GE(df_mib, disk_mib * 9 / 10) << "df -m /work says " << df_mib << " MiB of a " << disk_mib << " MiB disk";
}

class GuestWorkDisk : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"ssh", "debugfs"}, .devices = {"/dev/net/tun"}})) return;
    ClientTest::SetUpTestSuite();
  }

  // The suite's one guest, with a work disk of kFirstMib: made on first use
  // and shared by the tests after it, in declaration order.
  void make_guest() {
    if (!guest_.empty()) return;
    ASSERT_TRUE(make_failure_.empty()) << "making the guest failed before: " << make_failure_;
    make_failure_ = "see the first test that made it";
    ASSERT_NO_FATAL_FAILURE(import_image());
    guest_ = client_->create_ready(*recorder_, "wd", {{"memory", sdbus::Variant(256u)},
                                                      {"work_disk", sdbus::Variant(kFirstMib)}});
    id_ = client_->vm_string(guest_, "Id");
    make_failure_.clear();
  }
  // VMs are refused without an image, before their disks are looked at.
  void import_image() {
    if (image_imported_) return;
    auto image = build_and_import_default_image(env());
    ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
    image_imported_ = true;
  }
  void start() {
    call(guest_, "Start");
    ASSERT_TRUE(client_->wait_state(*recorder_, guest_, "running", 60s)) << client_->vm_string(guest_, "LastError");
  }
  void stop() {
    call(guest_, "Stop");
    ASSERT_TRUE(client_->wait_state(*recorder_, guest_, "stopped", 60s)) << console();
  }
  InGuest shell() {
    return ssh_ready(ssh_into(*netns_, daemon_ssh_key(env()), client_->vm_string(guest_, "IPv4Address")),
                     [this] { return console(); });
  }
  std::string console() { return console_of(*client_, guest_, "wd"); }

  fs::path state() { return env().dir() / "state"; }
  fs::path disk_file(const std::string& id) { return state() / "vms" / id / "work.ext4"; }

  static inline std::string guest_, id_, make_failure_;
  static inline bool image_imported_ = false;
};

TEST_F(GuestWorkDisk, TheGuestMountsItsWorkDiskAtWork) {
  ASSERT_NO_FATAL_FAILURE(make_guest());
  EXPECT_EQ(client_->vm_number(guest_, "WorkDiskMiB"), kFirstMib);
  EXPECT_EQ(fs::file_size(disk_file(id_)), std::uint64_t{kFirstMib} << 20);
  ASSERT_NO_FATAL_FAILURE(start());
  auto in_guest = shell();
  const auto mounts = in_guest("grep \" /work \" /proc/mounts");
  EXPECT_EQ(mounts.out.rfind("/dev/vdb /work ext4 rw", 0), 0u) << mounts.out << console();
  expect_about(work_df_mib(in_guest), kFirstMib);
  // The ext4 volume name, 16 bytes at 1144 (busybox has no blkid).
  const auto label = in_guest("dd if=/dev/vdb bs=1 skip=1144 count=16 2>/dev/null | tr -d \"\\000\"");
  EXPECT_EQ(label.out, "banger-work") << "status " << label.status;
}

TEST_F(GuestWorkDisk, FilesInWorkSurviveStopAndStart) {
  ASSERT_NO_FATAL_FAILURE(make_guest());
  if (client_->vm_string(guest_, "State") != "running") {
    ASSERT_NO_FATAL_FAILURE(start());
  }
  EXPECT_EQ(shell()("echo written before the stop > /work/note.txt && sync").status, 0);
  ASSERT_NO_FATAL_FAILURE(stop());
  ASSERT_NO_FATAL_FAILURE(start());
  const auto note = shell()("cat /work/note.txt");
  EXPECT_EQ(note.out, "written before the stop\n") << console();
}

TEST_F(GuestWorkDisk, SetGrowsTheDiskWhileStoppedAndTheGuestSeesIt) {
  ASSERT_NO_FATAL_FAILURE(make_guest());
  if (client_->vm_string(guest_, "State") != "running") {
    ASSERT_NO_FATAL_FAILURE(start());
  }
  EXPECT_THROW(client_->set(guest_, {{"work_disk", sdbus::Variant(kGrownMib)}}), sdbus::Error)
      << "not while it runs";
  ASSERT_NO_FATAL_FAILURE(stop());
  try {
    client_->set(guest_, {{"work_disk", sdbus::Variant(kFirstMib / 2)}});
    ADD_FAILURE() << "a work disk shrank";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.freedesktop.DBus.Error.InvalidArgs") << e.getMessage();
  }
  client_->set(guest_, {{"work_disk", sdbus::Variant(kGrownMib)}});
  EXPECT_EQ(client_->vm_number(guest_, "WorkDiskMiB"), kGrownMib);
  ASSERT_NO_FATAL_FAILURE(start());
  auto in_guest = shell();
  expect_about(work_df_mib(in_guest), kGrownMib);
  EXPECT_EQ(in_guest("cat /work/note.txt").out, "written before the stop\n") << "growing keeps the files";
}

// Issue 17, finding 2: the guest's root owns /dev/vdb and may write anything
// into its metadata. Offline workspace transfers then meet it in e2fsck and
// libext2fs, sandboxed; the host never mounts it. Watched all through a push
// and a pull: no process of bangerd's sees a loop or new ext4 mount, and each
// transfer ends with an answer (BackendFailed naming the disk, or success).
TEST_F(GuestWorkDisk, AGuestThatRewritesItsDisksMetadataNeverGetsItMountedOnTheHost) {
  ASSERT_NO_FATAL_FAILURE(make_guest());
  if (client_->vm_string(guest_, "State") != "running") {
    ASSERT_NO_FATAL_FAILURE(start());
  }
  auto in_guest = shell();
  const auto unmounted = in_guest("sync && umount /work && sync");
  ASSERT_EQ(unmounted.status, 0) << unmounted.out;
  // The group descriptors (block 1), kept to put back for the tests after this one.
  std::string descriptors(4096, '\0');
  {
    std::ifstream disk(disk_file(id_), std::ios::binary);
    disk.seekg(4096);
    disk.read(descriptors.data(), 4096);
    ASSERT_TRUE(disk.good());
  }
  // 4 KiB of noise over them: what a hostile guest root could write.
  const auto rewritten = in_guest("dd if=/dev/urandom of=/dev/vdb bs=4096 seek=1 count=1 conv=notrunc 2>&1 && sync");
  ASSERT_EQ(rewritten.status, 0) << rewritten.out;
  ASSERT_NO_FATAL_FAILURE(stop());

  const auto baseline = mounts_of(env().daemon_pid());
  const auto folder = env().dir() / "hostile-push";
  fs::create_directories(folder);
  std::ofstream(folder / "file") << "pushed";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"workspace", "push", "wd", folder.string()},
        std::vector<std::string>{"workspace", "pull", "wd", (env().dir() / "hostile-pull").string(), "--source",
                                 "hostile-push"}}) {
    std::vector<std::string> argv{env().bangerctl(), "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::atomic<bool> done{false};
    std::vector<std::string> seen;
    std::thread watcher([&] {
      while (!done)
        for (const auto& line : disk_mounts_below(env().daemon_pid(), baseline)) seen.push_back(line);
    });
    const auto result = env().run_as("", argv, 120s);
    done = true;
    watcher.join();
    std::string listed;
    for (const auto& line : seen) listed += line + "\n";
    EXPECT_TRUE(seen.empty()) << args[1] << ": mounted on the host:\n" << listed;
    EXPECT_TRUE(result.ok() || result.err.find("work disk") != std::string::npos)
        << args[1] << ": " << result.describe() << env().logs();
    std::cout << args[1] << " of the rewritten disk: " << (result.ok() ? "ok" : result.err) << "\n";
  }
  EXPECT_EQ(client_->vm_string(guest_, "State"), "stopped");
  std::fstream disk(disk_file(id_), std::ios::binary | std::ios::in | std::ios::out);
  disk.seekp(4096);
  disk.write(descriptors.data(), 4096);
  EXPECT_TRUE(disk.good());
}

TEST_F(GuestWorkDisk, DeleteWithKeepWorkDiskLeavesItsFilesBehind) {
  ASSERT_NO_FATAL_FAILURE(make_guest());
  client_->set(guest_, {{"keep_work_disk", sdbus::Variant(true)}});
  if (client_->vm_string(guest_, "State") != "stopped") {
    ASSERT_NO_FATAL_FAILURE(stop());
  }
  client_->vm_call(guest_, "Delete");
  guest_.clear();
  const auto kept = state() / "kept" / ("wd-" + id_.substr(0, 12) + ".work.ext4");
  EXPECT_FALSE(fs::exists(disk_file(id_)));
  ASSERT_TRUE(fs::exists(kept)) << env().logs();
  EXPECT_EQ(fs::file_size(kept), std::uint64_t{kGrownMib} << 20);
  const auto note = run_command("debugfs -R 'cat /note.txt' " + kept.string() + " 2>/dev/null");
  EXPECT_EQ(note.out, "written before the stop\n");
  fs::remove(kept);
}

TEST_F(GuestWorkDisk, DeleteRemovesTheWorkDisk) {
  ASSERT_NO_FATAL_FAILURE(import_image());
  const auto path = client_->create_ready(*recorder_, "wd-gone", {{"work_disk", sdbus::Variant(kFirstMib)}});
  const auto id = client_->vm_string(path, "Id");
  ASSERT_TRUE(fs::exists(disk_file(id)));
  client_->vm_call(path, "Delete");
  EXPECT_FALSE(fs::exists(disk_file(id)));
  EXPECT_FALSE(fs::exists(state() / "kept" / ("wd-gone-" + id.substr(0, 12) + ".work.ext4")));
}

TEST_F(GuestWorkDisk, AWorkDiskBeyondTheHostsDiskIsRefusedAndNothingIsMade) {
  ASSERT_NO_FATAL_FAILURE(import_image());
  struct statvfs host {};
  ASSERT_EQ(::statvfs(state().c_str(), &host), 0);
  if (std::uint64_t{host.f_blocks} * host.f_frsize >= std::uint64_t{16} << 40) GTEST_SKIP() << "the host's disk holds 16 TiB";
  const auto vms_before = client_->list_vms().size();
  const auto dirs_before = std::distance(fs::directory_iterator(state() / "vms"), fs::directory_iterator());
  try {
    client_->create_vm("wd-huge", {{"work_disk", sdbus::Variant(std::uint32_t{16} << 20)}});  // 16 TiB
    ADD_FAILURE() << "a 16 TiB work disk was accepted";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "dev.banger.banger1.Error.ResourceExhausted") << e.getMessage();
  }
  EXPECT_EQ(client_->list_vms().size(), vms_before);
  EXPECT_EQ(std::distance(fs::directory_iterator(state() / "vms"), fs::directory_iterator()), dirs_before)
      << "no VM directory is left behind";
}

}  // namespace
}  // namespace banger::test
