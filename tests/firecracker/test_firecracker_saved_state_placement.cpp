// Where the Firecracker backend's saved state goes (issue 19), against
// fake-firecracker: jailed, inside the VMM's chroot and out again; as the VM's
// uid, through its directory's descriptor; and the saved files themselves,
// their zero pages made holes, a Diff laid over its base, and only a file the
// VMM wrote taken from it. The requests themselves: test_firecracker_saved_state.cpp.
#include "firecracker_saved_state_fixture.h"

namespace banger {
namespace {

using namespace fc_test;

TEST_F(FirecrackerSavedStateTest, JailedTheVmmSavesAndLoadsInsideItsChroot) {
  if (geteuid() != 0) GTEST_SKIP() << "the chroot is handed to another uid: needs root";
  settings.jailer = std::getenv("FAKE_JAILER");
  settings.jailer_uid = 123;
  settings.jailer_gid = 456;
  settings.chroot_base = root / "jail";
  fs::permissions(root, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  // The jail goes with each VMM, and its record with it: this one outlives them.
  const fs::path record = root / "requests.jsonl";
  std::ofstream(record).flush();
  fs::permissions(record, fs::perms::all);
  setenv("FAKE_FC_RECORD", record.c_str(), 1);
  const fs::path jail_root = root / "jail/fake-firecracker/vm-0001/root";

  FirecrackerBackend backend(settings);
  run_a_guest(backend);
  backend.pause(handles);
  const std::uint64_t bytes = backend.save_state(handles, saved);
  EXPECT_FALSE(fs::exists(jail_root / "snapshot")) << "nothing left in the VMM's reach";
  backend.kill(handles);
  EXPECT_LT(bytes, (256u << 20) / 2) << "zero pages are not stored";
  for (const auto& file : {saved_state_file(saved), saved_memory_file(saved)}) {
    EXPECT_EQ(stat_of(file).st_uid, 0u) << file;
    EXPECT_EQ(stat_of(file).st_mode & 07777, 0600u) << file;
  }

  MachineConfig restoring = machine;
  restoring.restore_from = saved;
  run_a_guest_from(backend, restoring);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);
  // Linked, not copied, into the VMM's own directory; the saved files readable by its group only.
  EXPECT_EQ(stat_of(jail_root / "snapshot").st_uid, 123u);
  EXPECT_EQ(stat_of(jail_root / "snapshot").st_mode & 07777, 0700u);
  EXPECT_EQ(stat_of(jail_root / "snapshot/firecracker.mem").st_ino, stat_of(saved_memory_file(saved)).st_ino);
  EXPECT_EQ(stat_of(saved_memory_file(saved)).st_mode & 07777, 0640u);
  EXPECT_EQ(stat_of(saved_memory_file(saved)).st_gid, 456u);

  auto got = recorded(record);
  EXPECT_EQ(body_of(got, "/snapshot/create"),
            create_body("Full", "/snapshot/firecracker.vmstate", "/snapshot/firecracker.mem"));
  EXPECT_EQ(body_of(got, "/snapshot/load"),
            load_body("/snapshot/firecracker.vmstate", "/snapshot/firecracker.mem", "tap-banger0"));
  EXPECT_EQ(got.back(), req("GET", "/"));
  EXPECT_EQ(got[got.size() - 2], req("PATCH", "/vm", {{"state", "Resumed"}}));
  backend.kill(handles);
  handles.clear();
  EXPECT_TRUE(fs::exists(saved_memory_file(saved))) << "the jail's link goes, the saved file stays";
}

TEST_F(FirecrackerSavedStateTest, AsTheVmsUidTheVmmGetsTheSavedFilesAfterItsDrives) {
  if (geteuid() != 0) GTEST_SKIP() << "runs the VMM as another uid: needs root";
  auto ids = std::make_shared<JailerIds>(root / "uids", 900100, 4);
  const fs::path record = root / "requests.jsonl";
  std::ofstream(record).flush();
  fs::permissions(record, fs::perms::all);
  fs::permissions(root, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  setenv("FAKE_FC_RECORD", record.c_str(), 1);

  FirecrackerBackend backend(settings, ids);
  EXPECT_NE(backend.saved_state_format(machine).find(
                "unjailed as the VM's uid; drives rootfs=/proc/self/fd/6:rw:root work=/proc/self/fd/7:ro"),
            std::string::npos)
      << backend.saved_state_format(machine);
  run_a_guest(backend);
  backend.pause(handles);
  const std::uint64_t bytes = backend.save_state(handles, saved);
  EXPECT_LT(bytes, (256u << 20) / 2) << "zero pages are not stored";
  EXPECT_FALSE(fs::exists(machine.runtime_dir / "vmm/snapshot")) << "nothing left in the VMM's reach";
  backend.kill(handles);

  MachineConfig restoring = machine;
  restoring.restore_from = saved;
  run_a_guest_from(backend, restoring);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);

  auto got = recorded(record);
  EXPECT_EQ(body_of(got, "/snapshot/create"), create_body("Full", "/proc/self/fd/3/snapshot/firecracker.vmstate",
                                                  "/proc/self/fd/3/snapshot/firecracker.mem"));
  // 3 its directory, 4 the kernel, 5 the initrd, 6 and 7 the drives, then the saved files.
  EXPECT_EQ(body_of(got, "/snapshot/load"), load_body("/proc/self/fd/8", "/proc/self/fd/9", "tap-banger0"));
  EXPECT_EQ(got[got.size() - 2], req("PATCH", "/vm", {{"state", "Resumed"}}));
}

// --- The saved state's files ---

class SavedStateFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/banger-fc-state-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root = dir;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root, ignored);
  }
  // A file of `pages` 4 KiB pages, written in full; the pages in `data` hold their index.
  fs::path memory(const std::string& name, int pages, std::initializer_list<int> data) {
    const fs::path file = root / name;
    std::ofstream out(file, std::ios::binary);
    std::string page(4096, '\0');
    for (int i = 0; i < pages; ++i) {
      bool filled = std::find(data.begin(), data.end(), i) != data.end();
      std::fill(page.begin(), page.end(), filled ? static_cast<char>('A' + i % 26) : '\0');
      out << page;
    }
    return file;
  }
  static std::string text_of(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  fs::path root;
};

TEST_F(SavedStateFiles, ZeroPagesBecomeHolesAndNothingElseChanges) {
  const fs::path full = memory("full", 512, {0, 3, 300, 511});
  const std::string before = text_of(full);
  {
    UniqueFd in(::open(full.c_str(), O_RDONLY));
    UniqueFd out(::open((root / "copy").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
    copy_skipping_zero_pages(in.get(), out.get(), "full");
  }
  EXPECT_EQ(text_of(root / "copy"), before);
  EXPECT_LE(allocated_bytes(root / "copy"), 4u * 4096 + 64 * 1024) << "four pages of data, not 512";

  UniqueFd fd(::open(full.c_str(), O_RDWR));
  if (!punch_zero_pages(fd.get(), "full")) GTEST_SKIP() << "this file system punches no holes";
  EXPECT_EQ(text_of(full), before);
  EXPECT_LE(allocated_bytes(full), 4u * 4096 + 64 * 1024);
}

TEST_F(SavedStateFiles, ADiffLaidOverItsBaseKeepsItsClearedPages) {
  const fs::path base = memory("base", 64, {1, 2, 3});
  // The Diff: page 2 rewritten, page 3 cleared by the guest (zero, but data), page 9 new.
  const fs::path diff = root / "diff";
  {
    UniqueFd fd(::open(diff.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
    ASSERT_EQ(ftruncate(fd.get(), 64 * 4096), 0);
    std::string page(4096, 'z'), zero(4096, '\0');
    ASSERT_EQ(pwrite(fd.get(), page.data(), 4096, 2 * 4096), 4096);
    ASSERT_EQ(pwrite(fd.get(), zero.data(), 4096, 3 * 4096), 4096);
    ASSERT_EQ(pwrite(fd.get(), page.data(), 4096, 9 * 4096), 4096);
  }
  apply_diff_memory(diff, base);
  const std::string merged = text_of(base);
  ASSERT_EQ(merged.size(), 64u * 4096);
  EXPECT_EQ(merged.substr(1 * 4096, 4096), std::string(4096, 'B')) << "untouched: the base's";
  EXPECT_EQ(merged.substr(2 * 4096, 4096), std::string(4096, 'z'));
  EXPECT_EQ(merged.substr(3 * 4096, 4096), std::string(4096, '\0')) << "cleared by the guest";
  EXPECT_EQ(merged.substr(9 * 4096, 4096), std::string(4096, 'z'));

  const fs::path other = memory("other", 32, {});
  EXPECT_THROW(apply_diff_memory(diff, other), Error) << "not the same guest's memory";
}

TEST_F(SavedStateFiles, OnlyAFileTheVmmWroteIsTakenFromIt) {
  const fs::path mine = root / "mine";
  std::ofstream(mine) << "state";
  const JailOwner me{geteuid(), getegid()};
  EXPECT_TRUE(open_written_by(mine, me).valid());
  fs::create_symlink(mine, root / "link");
  EXPECT_THROW(open_written_by(root / "link", me), Error);
  fs::create_hard_link(mine, root / "hard");
  EXPECT_THROW(open_written_by(root / "hard", me), Error) << "a hard link may be to anything";
  fs::remove(root / "hard");
  ASSERT_EQ(mkfifo((root / "fifo").c_str(), 0600), 0);
  EXPECT_THROW(open_written_by(root / "fifo", me), Error) << "and never hangs on a FIFO";
  EXPECT_THROW(open_written_by(mine, JailOwner{me.uid + 1, me.gid}), Error) << "another uid's";
}

}  // namespace
}  // namespace banger
