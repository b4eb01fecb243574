// Workspace transfers on a VM manager: which VMs may take one, the Busy they
// cause, and the offline route into a real ext4 image (root: banger-diskfs in
// the sandbox, libext2fs, no mount).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "disks/ext4_image.h"
#include "disks/tool.h"
#include "error_kind.h"
#include "store_fixtures.h"
#include "tar_fixtures.h"
#include "vm_manager_fixture.h"
#include "workspace/workspaces.h"

namespace banger {
namespace {

using testing::entries_of;
using testing::error_message_of;
using testing::kind_of;
using testing::TarEntry;
using testing::tar_of;

struct NoProgress : ProgressSink {
  void report(std::string_view, double) override {}
};

class FixedAttachments : public VmAttachments {
 public:
  std::optional<VmAttachment> attachment_of(const VmRecord&) override { return attachment; }
  std::vector<DnsEntry> dns_entries(const std::string&) override { return {}; }
  std::optional<VmAttachment> attachment;
};

// The real banger-diskfs ($BANGER_DISKFS, set by meson), else the default beside this test.
std::filesystem::path disk_helper() {
  const char* helper = std::getenv("BANGER_DISKFS");
  return helper != nullptr ? std::filesystem::path(helper) : Workspaces::Settings{}.disk_helper;
}

struct WorkspaceTransferTest : VmManagerTest {
  WorkspaceLocks locks;
  VmManager guarded{{store, backends, caps, events, handles_files, &watch, &locks}, {200ms, 1500ms, runtime}};
  FixedAttachments attachments;
  std::filesystem::path state = temp_dir();
  Workspaces workspaces{{guarded, attachments, locks, state, SshKeyPair::load_or_create(state / "ssh")},
                        {.disk_helper = disk_helper()}};
  NoProgress no_progress;

  ~WorkspaceTransferTest() override { std::filesystem::remove_all(state); }

  VmRecord with_work_disk(const std::string& name, std::uint64_t mib = 64) {
    auto vm = guarded.finish_create(guarded.begin_create({name, 1, 256, "default", {}}, 1000).id, progress);
    vm.work_disk_mib = mib;
    store.update_vm(vm);
    return vm;
  }
  std::filesystem::path make_image(const VmRecord& vm, std::uint64_t mib = 64) {
    const auto image = work_disk_image(state, vm.id);
    std::filesystem::create_directories(image.parent_path());
    disks::make_ext4(image, mib, "banger-work");
    return image;
  }
  void push(const VmRecord& vm, const std::string& tar, PushOptions options = {}) {
    auto fd = testing::fd_reading(tar);
    auto transfer = workspaces.begin(vm.id);
    workspaces.push(transfer, fd.get(), options, no_progress);
  }
  std::string pull(const VmRecord& vm, PullOptions options = {}) {
    auto fd = testing::empty_memfd();
    auto transfer = workspaces.begin(vm.id);
    workspaces.pull(transfer, fd.get(), options, no_progress);
    return testing::contents_of(fd.get());
  }
};

// The names in the image's root directory, read with debugfs (no mount), so
// staging directories that pulls leave out are seen too.
std::string root_listing(const std::filesystem::path& image) {
  std::string cmd = "debugfs -R 'ls -p /' " + image.string() + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buffer[4096];
  while (p != nullptr && fgets(buffer, sizeof buffer, p) != nullptr) out += buffer;
  if (p != nullptr) pclose(p);
  return out;
}

std::string host_mounts() {
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(WorkspaceTransferTest, OnlyVmsWithAWorkDiskAtRestOrRunningOnANetworkTakeATransfer) {
  auto none = with_work_disk("none", 0);
  EXPECT_NE(error_message_of(ErrorKind::invalid_state, [&] { workspaces.begin(none.id); }).find("no work disk"),
            std::string::npos);
  auto unmade = with_work_disk("unmade");
  EXPECT_NE(error_message_of(ErrorKind::invalid_state, [&] { workspaces.begin(unmade.id); }).find("image"),
            std::string::npos);
  auto running = with_work_disk("running");
  guarded.start(running.id);
  EXPECT_NE(error_message_of(ErrorKind::invalid_state, [&] { workspaces.begin(running.id); }).find("network"),
            std::string::npos);
  attachments.attachment = VmAttachment{{}, "10.219.0.9", "running.banger"};
  EXPECT_EQ(workspaces.begin(running.id).address, "10.219.0.9");
  EXPECT_EQ(kind_of([&] { workspaces.begin("no-such-id"); }), ErrorKind::no_such_vm);
}

TEST_F(WorkspaceTransferTest, LifecycleVerbsAreBusyWhileATransferHoldsTheVm) {
  auto vm = with_work_disk("web");
  std::filesystem::create_directories(work_disk_image(state, vm.id).parent_path());
  std::ofstream(work_disk_image(state, vm.id)) << "stand-in";
  {
    auto transfer = workspaces.begin(vm.id);
    EXPECT_TRUE(transfer.address.empty());  // offline
    EXPECT_EQ(kind_of([&] { guarded.start(vm.id); }), ErrorKind::busy);
    EXPECT_EQ(kind_of([&] { guarded.remove(vm.id); }), ErrorKind::busy);
    EXPECT_EQ(kind_of([&] { workspaces.begin(vm.id); }), ErrorKind::busy);
    EXPECT_EQ(state_of(vm.id), VmState::created);
  }
  EXPECT_EQ(guarded.start(vm.id).state, VmState::running);
}

// Issue 17, extra A: a VM whose stop failed is `failed` with its VMM kept on record,
// since it may still run on the work disk. The offline route would mount that image
// beside it (two writers of one ext4): refused while the recorded VMM runs.
TEST_F(WorkspaceTransferTest, AFailedVmWhoseVmmStillRunsTakesNoOfflineTransfer) {
  auto vm = with_work_disk("stuck");
  std::filesystem::create_directories(work_disk_image(state, vm.id).parent_path());
  std::ofstream(work_disk_image(state, vm.id)) << "stand-in";
  guarded.start(vm.id);
  EXPECT_CALL(backend, stop(_, _)).WillOnce(::testing::Throw(Error(ErrorKind::backend_failed, "stop timed out")));
  EXPECT_EQ(kind_of([&] { guarded.stop(vm.id, false); }), ErrorKind::backend_failed);
  ASSERT_EQ(state_of(vm.id), VmState::failed);
  const std::string refused = error_message_of(ErrorKind::invalid_state, [&] { workspaces.begin(vm.id); });
  EXPECT_NE(refused.find("its VMM still runs"), std::string::npos) << refused;
  // Once that VMM is gone (it died, or was ended), the disk is the transfer's alone.
  ON_CALL(backend, status(_)).WillByDefault(Return(VmmStatus::exited));
  EXPECT_TRUE(workspaces.begin(vm.id).address.empty());
}

class OfflineWorkspaceTest : public WorkspaceTransferTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (the sandbox drops to an unprivileged uid)";
  }
};

TEST_F(OfflineWorkspaceTest, PushThenPullRoundTripsAndNothingShowsOnTheHost) {
  auto vm = with_work_disk("web");
  const auto image = make_image(vm);
  const auto mounts_before = host_mounts();
  push(vm, tar_of({testing::dir("src/", 0755),
                   testing::file("src/main.c", "int main() {}\n", 0755),
                   testing::symlink("src/link", "main.c"),
                   testing::file("notes", "n")}),
       {.target = "proj", .replace = false, .size = 0});
  EXPECT_EQ(host_mounts(), mounts_before);
  const auto all = entries_of(pull(vm));
  EXPECT_EQ(all.at("proj/src/main.c").content, "int main() {}\n");
  EXPECT_EQ(all.at("proj/src/main.c").perm, 0755u);
  EXPECT_EQ(all.at("proj/src/link").content, "main.c");
  const auto proj = entries_of(pull(vm, {.source = "proj"}));
  EXPECT_EQ(proj.at("notes").content, "n");
  EXPECT_FALSE(proj.contains("proj/notes"));

  // Merge keeps what was there; replace starts afresh.
  push(vm, tar_of({testing::file("more", "m")}), {.target = "proj", .replace = false, .size = 0});
  EXPECT_TRUE(entries_of(pull(vm, {.source = "proj"})).contains("notes"));
  push(vm, tar_of({testing::file("only", "o")}), {.target = "proj", .replace = true, .size = 0});
  const auto replaced = entries_of(pull(vm, {.source = "proj"}));
  EXPECT_TRUE(replaced.contains("only"));
  EXPECT_FALSE(replaced.contains("notes"));
  EXPECT_EQ(host_mounts(), mounts_before);
  // libext2fs left a consistent filesystem, marked clean (e2fsck -f: checked all the same).
  EXPECT_NO_THROW(disks::run_tool({"e2fsck", "-f", "-n", image.string()}));
}

TEST_F(OfflineWorkspaceTest, ARefusedOrBrokenStreamLeavesTheDiskAsItWas) {
  auto vm = with_work_disk("web");
  const auto image = make_image(vm);
  push(vm, tar_of({testing::file("keep", "k")}), {.target = "proj", .replace = false, .size = 0});
  const auto listing = root_listing(image);
  ASSERT_NE(listing.find("/proj/"), std::string::npos) << listing;

  const auto escape = tar_of({testing::file("fine", std::string(100000, 'f')),
                              testing::symlink("evil", "/etc")});
  EXPECT_NE(error_message_of(ErrorKind::invalid_args, [&] {
              push(vm, escape, {.target = "proj", .replace = true, .size = 0});
            }).find("'evil'"),
            std::string::npos);
  EXPECT_EQ(kind_of([&] { push(vm, "this is no tar stream at all"); }), ErrorKind::invalid_args);
  EXPECT_EQ(root_listing(image), listing);
  EXPECT_EQ(entries_of(pull(vm, {.source = "proj"})).at("keep").content, "k");
  EXPECT_EQ(kind_of([&] { pull(vm, {.source = "nowhere"}); }), ErrorKind::invalid_args);
}

TEST_F(OfflineWorkspaceTest, AFullWorkDiskIsResourceExhaustedAndLeavesNothing) {
  auto vm = with_work_disk("web", 16);
  const auto image = make_image(vm, 16);
  const auto listing = root_listing(image);
  ASSERT_NE(listing.find("/lost+found/"), std::string::npos) << listing;
  EXPECT_EQ(kind_of([&] { push(vm, tar_of({testing::file("huge", std::string(32 << 20, 'h'))})); }),
            ErrorKind::resource_exhausted);
  EXPECT_EQ(root_listing(image), listing);
  EXPECT_NO_THROW(disks::run_tool({"e2fsck", "-f", "-n", image.string()}));
}

// What libext2fs writes and reads without a mount: hard links, symlinks too
// long for the inode, many files (directory blocks added), nested merges, an
// entry of another type in the way, and files the guest wrote itself.
TEST_F(OfflineWorkspaceTest, LinksLargeDirectoriesAndMergesSurviveTheRoundTrip) {
  auto vm = with_work_disk("web");
  const auto image = make_image(vm);
  const std::string long_target = std::string(100, 'x');  // past the 60 bytes a fast symlink holds
  std::vector<testing::TarEntry> many{testing::file("a/one", "1"), testing::hardlink("a/same", "a/one"),
                                      testing::symlink("a/long", long_target), testing::file("a/b/deep", "d"),
                                      testing::file("was-file", "f")};
  for (int i = 0; i < 300; ++i) many.push_back(testing::file("many/file-" + std::to_string(i), std::to_string(i)));
  push(vm, tar_of(many), {.target = "t", .replace = false, .size = 0});
  // Merge: a/b gains a file, a/one is replaced, was-file becomes a directory.
  push(vm, tar_of({testing::file("a/b/more", "m"), testing::file("a/one", "new"), testing::file("was-file/x", "x")}),
       {.target = "t", .replace = false, .size = 0});
  const auto all = entries_of(pull(vm, {.source = "t"}));
  EXPECT_EQ(all.at("a/one").content, "new");
  EXPECT_EQ(all.at("a/same").content, "1") << "the hard link keeps the first file";
  EXPECT_EQ(all.at("a/long").content, long_target);
  EXPECT_EQ(all.at("a/b/deep").content, "d");
  EXPECT_EQ(all.at("a/b/more").content, "m");
  EXPECT_EQ(all.at("was-file/x").content, "x");
  EXPECT_EQ(all.at("many/file-299").content, "299");
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const auto& e) { return e.first.starts_with("many/file-"); }), 300);

  // A file the guest wrote (here with debugfs, as any ext4 writer would).
  testing::TempDir dir;
  std::ofstream(dir.file("guest")) << "from the guest";
  disks::run_tool({"debugfs", "-w", "-R", "write " + dir.file("guest").string() + " /t/guest.txt", image.string()});
  EXPECT_EQ(entries_of(pull(vm, {.source = "t"})).at("guest.txt").content, "from the guest");

  // Replace on a big tree frees it all: the filesystem stays consistent.
  push(vm, tar_of({testing::file("only", "o")}), {.target = "t", .replace = true, .size = 0});
  EXPECT_EQ(entries_of(pull(vm, {.source = "t"})).size(), 1u);
  EXPECT_NO_THROW(disks::run_tool({"e2fsck", "-f", "-n", image.string()}));
}

TEST_F(OfflineWorkspaceTest, ASymlinkTheGuestMadeOnTheWayIsNotFollowed) {
  auto vm = with_work_disk("web");
  const auto image = make_image(vm);
  // What a guest could leave on its work disk: /work/proj → /etc.
  disks::run_tool({"debugfs", "-w", "-R", "symlink proj /etc", image.string()});
  const auto message = error_message_of(ErrorKind::invalid_args, [&] {
    push(vm, tar_of({testing::file("passwd", "owned")}), {.target = "proj", .replace = false, .size = 0});
  });
  EXPECT_NE(message.find("symlink"), std::string::npos) << message;
  EXPECT_EQ(kind_of([&] { pull(vm, {.source = "proj"}); }), ErrorKind::invalid_args);
}

}  // namespace
}  // namespace banger
