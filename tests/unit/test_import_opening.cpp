// What ImportImage's paths are opened with (issue 17, finding 4): the
// caller's rights, in a thread of their own that takes nobody else's
// (core/open_as_user.h), and never anything in bangerd's own directories
// (core/off_limits.h).
#include <fcntl.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/off_limits.h"
#include "core/open_as_user.h"
#include "error_kind.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

constexpr uid_t nobody = 65534;  // Debian's nobody, in group nogroup (65534) only

class ImportOpening : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("banger-import-opening-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path file(const std::string& name, fs::perms perms) {
    const auto path = dir_ / name;
    std::ofstream(path) << "contents\n";
    fs::permissions(path, perms);
    return path;
  }
  static void skip_unless_root_and_nobody() {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    if (getpwuid(nobody) == nullptr) GTEST_SKIP() << "no user nobody (65534)";
  }

  fs::path dir_;
};

TEST_F(ImportOpening, AUsersIdentityHasItsPrimaryGroupAmongItsGroups) {
  if (getpwuid(nobody) == nullptr) GTEST_SKIP() << "no user nobody (65534)";
  const auto who = fs_identity_of(nobody);
  EXPECT_EQ(who.uid, nobody);
  EXPECT_EQ(who.gid, getpwuid(nobody)->pw_gid);
  EXPECT_NE(std::find(who.groups.begin(), who.groups.end(), who.gid), who.groups.end());
}

TEST_F(ImportOpening, AUidWithoutAUserEntryHasNoKnownRights) {
  EXPECT_EQ(testing::kind_of([] { fs_identity_of(4123456789u); }), ErrorKind::access_denied);
}

TEST_F(ImportOpening, AUserCannotOpenARootOnlyFileThatRootCan) {
  skip_unless_root_and_nobody();
  const auto secret = file("shadow", fs::perms::owner_read | fs::perms::owner_write);
  const auto as_nobody = open_as(fs_identity_of(nobody), secret, O_RDONLY | O_CLOEXEC);
  EXPECT_FALSE(as_nobody.fd.valid());
  EXPECT_EQ(as_nobody.error, EACCES);
  const auto as_root = open_as(fs_identity_of(0), secret, O_RDONLY | O_CLOEXEC);
  EXPECT_TRUE(as_root.fd.valid()) << std::strerror(as_root.error);
}

TEST_F(ImportOpening, AUserOpensWhatItMayRead) {
  skip_unless_root_and_nobody();
  const auto readable = file("rootfs.ext4", fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  const auto opened = open_as(fs_identity_of(nobody), readable, O_RDONLY | O_CLOEXEC);
  ASSERT_TRUE(opened.fd.valid()) << std::strerror(opened.error);
  char first = 0;
  EXPECT_EQ(read(opened.fd.get(), &first, 1), 1);
  EXPECT_EQ(first, 'c');
}

// Nor a root process's /proc files: the thread has none of bangerd's
// capabilities left to reach them with.
TEST_F(ImportOpening, AUserCannotReadBangerdsOwnProcFiles) {
  skip_unless_root_and_nobody();
  const auto environ = open_as(fs_identity_of(nobody), "/proc/self/environ", O_RDONLY | O_CLOEXEC);
  EXPECT_FALSE(environ.fd.valid());
  EXPECT_EQ(environ.error, EACCES) << std::strerror(environ.error);
}

TEST_F(ImportOpening, TheCallingThreadKeepsItsOwnRights) {
  skip_unless_root_and_nobody();
  const auto secret = file("shadow", fs::perms::owner_read | fs::perms::owner_write);
  gid_t groups_before[256];
  const int count_before = getgroups(256, groups_before);
  open_as(fs_identity_of(nobody), secret, O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(static_cast<uid_t>(syscall(SYS_setfsuid, -1)), 0u);
  EXPECT_EQ(static_cast<gid_t>(syscall(SYS_setfsgid, -1)), getegid());
  EXPECT_EQ(getgroups(0, nullptr), count_before);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2] = {};
  ASSERT_EQ(syscall(SYS_capget, &header, caps), 0);
  EXPECT_NE(caps[0].effective, 0u) << "the capabilities went for the calling thread too";
  EXPECT_TRUE(UniqueFd(open(secret.c_str(), O_RDONLY | O_CLOEXEC)).valid()) << std::strerror(errno);
}

TEST_F(ImportOpening, FilesInAnOffLimitsDirectoryAreFoundWhateverTheirName) {
  const auto state = dir_ / "state";
  fs::create_directories(state / "ssh");
  std::ofstream(state / "ssh" / "id_ed25519") << "key\n";
  fs::create_symlink(state / "ssh" / "id_ed25519", dir_ / "innocent.img");
  fs::create_symlink(state, dir_ / "elsewhere");
  std::ofstream(dir_ / "outside.img") << "image\n";
  const std::vector<fs::path> off_limits{state, dir_ / "no-such-runtime-dir"};

  for (const auto& name : {state / "ssh" / "id_ed25519", dir_ / "innocent.img", dir_ / "elsewhere" / "ssh" / "id_ed25519",
                           dir_ / "elsewhere" / ".." / "state" / "ssh" / "id_ed25519"}) {
    SCOPED_TRACE(name);
    const UniqueFd fd(open(name.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    EXPECT_EQ(off_limits_dir_holding(fd.get(), off_limits), state);
  }
  const UniqueFd directory(open(state.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(off_limits_dir_holding(directory.get(), off_limits), state) << "the directory itself too";
  const UniqueFd outside(open((dir_ / "outside.img").c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(off_limits_dir_holding(outside.get(), off_limits), std::nullopt);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  EXPECT_EQ(off_limits_dir_holding(read_end.get(), off_limits), std::nullopt) << "a pipe is in no directory";
}

}  // namespace
}  // namespace banger
