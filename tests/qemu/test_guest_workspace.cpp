// Workspaces into a real guest: the real bangerd (QEMU backend, the default
// image) in a network namespace of this suite's own (bangerd_netns.h), one
// guest on the default network, bangerctl pushing a git checkout over the
// daemon's SSH channel, a change made in the guest over SSH, and the pull that
// brings it back. The guest's /work is the work disk once the work-disk
// capability attaches it; until then it is a directory on the guest's root,
// which the online route treats the same.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "bangerd_netns.h"
#include "default_image.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class GuestWorkspace : public ClientTest {
 protected:
  static void SetUpTestSuite() {
    netns_ = bangerd_netns({.programs = {"nft", "ssh", "git"}, .devices = {"/dev/net/tun"}}, netns_skip_);
    if (!netns_) return;
    netns_->ip("link set lo up");
    ClientTest::SetUpTestSuite();
  }
  static void TearDownTestSuite() {
    ClientTest::TearDownTestSuite();  // kills the VM and stops bangerd before its namespace goes
    netns_.reset();
  }
  void SetUp() override {
    if (!netns_skip_.empty()) GTEST_SKIP() << netns_skip_;
    ClientTest::SetUp();
  }

  RunResult ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{env().bangerctl(), "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    return env().run_as("", argv, 180s);
  }
  RunResult sh(const std::string& script) { return env().run_as("", {"sh", "-c", script}, 60s); }

  // The suite's guest, booted on first use and shared (booting is the slow part).
  void boot_guest() {
    if (!address_.empty()) return;
    auto image = build_and_import_default_image(env());
    ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
    auto created = ctl({"create", "ws-guest", "--memory", "256"});
    ASSERT_TRUE(created.ok()) << created.describe();
    // Start returns once the guest's SSH takes the daemon's key.
    auto started = ctl({"start", "ws-guest"});
    ASSERT_TRUE(started.ok()) << started.describe() << env().logs();
    const auto path = client_->get_vm("ws-guest");
    address_ = client_->vm_string(path, "IPv4Address");
    ASSERT_FALSE(address_.empty());
  }

  // A shell command in the guest with the system ssh and the daemon's key.
  CommandResult in_guest(const std::string& command) {
    EXPECT_EQ(command.find('\''), std::string::npos) << "the command is passed in single quotes";
    const auto key = env().dir() / "state" / "ssh" / "id_ed25519";
    return netns_->exec("ssh -i " + key.string() +
                        " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes"
                        " -o ConnectTimeout=5 -o LogLevel=ERROR root@" +
                        address_ + " '" + command + "' 2>&1");
  }

  static inline std::unique_ptr<ScopedNetns> netns_;
  static inline std::string netns_skip_;
  static inline std::string address_;
};

TEST_F(GuestWorkspace, PushAGitCheckoutChangeAFileInTheGuestPullItBack) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  const auto repo = env().dir() / "repo";
  fs::create_directories(repo / "src");
  std::ofstream(repo / "hello.txt") << "hello\n";
  std::ofstream(repo / "src" / "main.c") << "int main() { return 0; }\n";
  const auto git = "git -C " + repo.string() + " -c user.name=t -c user.email=t@example.invalid ";
  auto made = sh(git + "init -q && " + git + "add -A && " + git + "commit -qm initial");
  ASSERT_TRUE(made.ok()) << made.describe();
  std::ofstream(repo / "untracked.log") << "not pushed\n";

  auto push = ctl({"workspace", "push", "ws-guest", repo.string()});
  ASSERT_TRUE(push.ok()) << push.describe() << env().logs();
  auto seen = in_guest("cat /work/repo/hello.txt /work/repo/src/main.c && test -d /work/repo/.git && "
                       "test ! -e /work/repo/untracked.log && stat -c %u:%g /work/repo/hello.txt && ls -a /work");
  EXPECT_EQ(seen.status, 0) << seen.out;
  EXPECT_NE(seen.out.find("hello\nint main() { return 0; }\n0:0\n"), std::string::npos) << seen.out;
  EXPECT_EQ(seen.out.find(".banger-incoming"), std::string::npos) << seen.out;

  auto changed = in_guest("echo changed in the guest > /work/repo/hello.txt");
  ASSERT_EQ(changed.status, 0) << changed.out;

  const auto back = env().dir() / "back";
  auto pull = ctl({"workspace", "pull", "ws-guest", back.string(), "--source", "repo"});
  ASSERT_TRUE(pull.ok()) << pull.describe() << env().logs();
  EXPECT_EQ(read_file(back / "hello.txt"), "changed in the guest\n");
  EXPECT_EQ(read_file(back / "src" / "main.c"), "int main() { return 0; }\n");
  // .git came along both ways: git sees exactly the guest's change.
  auto status = sh("git -C " + back.string() + " status --porcelain");
  EXPECT_EQ(status.out, " M hello.txt\n") << status.describe();
}

TEST_F(GuestWorkspace, AnEscapeIsRefusedAndTheGuestKeepsNothing) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  const auto evil = env().dir() / "evil";
  fs::create_directories(evil);
  std::ofstream(evil / "first") << std::string(1 << 20, 'x');
  fs::create_symlink("../../../etc/passwd", evil / "passwd");
  auto push = ctl({"workspace", "push", "ws-guest", evil.string(), "--all"});
  EXPECT_EQ(push.exit_code, 2) << push.describe();
  EXPECT_NE(push.err.find("'passwd'"), std::string::npos) << push.describe();
  auto listing = in_guest("ls -a /work");
  EXPECT_EQ(listing.out.find("evil"), std::string::npos) << listing.out;
  EXPECT_EQ(listing.out.find(".banger-incoming"), std::string::npos) << listing.out;
}

}  // namespace
}  // namespace banger::test
