// Users' own keys in real guests: the real bangerd (QEMU backend, the default
// image) in a network namespace of this suite's own (bangerd_netns.h), one
// guest owned by the test user banger-alice, who has a HOME and a key of her
// own. `bangerctl ssh` and `bangerctl exec` run as her inside the namespace
// (where the guest's address is reachable), give the VM her key on first use
// and log in with it; banger-bob, with a key of his own, may neither add it
// to her VM nor log in. Her key is installed again after a restart.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "default_image.h"
#include "guest_shell.h"
#include "test_support.h"
#include "vmm_privileges.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;

const std::string kAlice = "banger-alice";
const std::string kBob = "banger-bob";

class GuestSsh : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"nft", "ssh", "ssh-keygen", "setpriv"}, .devices = {"/dev/net/tun"}}))
      return;
    ClientTest::SetUpTestSuite();
  }
  static void TearDownTestSuite() {
    vm_.clear();
    RealGuestTest::TearDownTestSuite();
  }

  // `user`'s HOME for this suite, with an Ed25519 key in ~/.ssh made as the user.
  fs::path home_of(const std::string& user) {
    const fs::path home = env().dir() / ("home-" + user);
    if (fs::exists(home / ".ssh" / "id_ed25519")) return home;
    const passwd* pw = getpwnam(user.c_str());
    EXPECT_NE(pw, nullptr) << user;
    fs::create_directories(home);
    EXPECT_EQ(chown(home.c_str(), pw->pw_uid, pw->pw_gid), 0);
    chmod(env().dir().c_str(), 0755);  // the users must reach their homes inside the test's directory
    auto made = env().run_as(user, {"sh", "-c", "mkdir -m 700 -p \"$HOME/.ssh\" && "
                                                 "ssh-keygen -q -t ed25519 -N '' -C \"$USER@test\" -f \"$HOME/.ssh/id_ed25519\""},
                             60s, {{"HOME", home.string()}, {"USER", user}});
    EXPECT_TRUE(made.ok()) << made.describe();
    return home;
  }

  // bangerctl as `user` with their HOME, inside bangerd's namespace (where ssh reaches the guest).
  RunResult ctl_as(const std::string& user, const std::vector<std::string>& args) {
    const passwd* pw = getpwnam(user.c_str());
    std::vector<std::string> argv{"ip",      "netns", "exec",   netns_->name(), "setpriv",
                                  "--reuid", std::to_string(pw->pw_uid), "--regid", std::to_string(pw->pw_gid),
                                  "--init-groups", env().bangerctl(), "--no-ask-password", "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    return env().run_as("", argv, 180s, {{"HOME", home_of(user).string()}, {"XDG_STATE_HOME", ""}});
  }

  std::string guest_file(const std::string& file) {
    auto in_guest = ssh_into(*netns_, daemon_ssh_key(env()), address_);
    return in_guest("cat " + file).out;
  }

  std::string public_key_of(const std::string& user) {
    std::string line;
    std::getline(std::ifstream(home_of(user) / ".ssh" / "id_ed25519.pub"), line);
    return line;
  }

  // Alice's guest, booted on first use and shared (booting is the slow part).
  void boot_guest() {
    if (!vm_.empty()) return;
    auto image = build_and_import_default_image(env());
    ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
    auto created = ctl_as(kAlice, {"create", "alice-vm", "--memory", "256"});
    ASSERT_TRUE(created.ok()) << created.describe();
    auto started = ctl_as(kAlice, {"start", "alice-vm"});
    ASSERT_TRUE(started.ok()) << started.describe() << env().logs();
    const auto path = client_->get_vm("alice-vm");
    address_ = client_->vm_string(path, "IPv4Address");
    ASSERT_FALSE(address_.empty());
    vm_ = path;
  }

  static inline std::string vm_;
  static inline std::string address_;
};

TEST_F(GuestSsh, OwnerLogsInWithHerOwnKeyAndExecReturnsTheExitStatus) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  auto ssh = ctl_as(kAlice, {"ssh", "alice-vm", "--", "hostname"});
  ASSERT_TRUE(ssh.ok()) << ssh.describe() << env().logs();
  EXPECT_EQ(ssh.out, "alice-vm\n") << ssh.describe();
  EXPECT_NE(ssh.err.find("gave VM 'alice-vm' your key"), std::string::npos) << ssh.describe();

  // Her key is in the guest beside bangerd's, and listed on the VM.
  const std::string keys = guest_file("/root/.ssh/authorized_keys");
  EXPECT_NE(keys.find(public_key_of(kAlice)), std::string::npos) << keys;
  std::string daemon_key;
  std::getline(std::ifstream(daemon_ssh_key(env()).string() + ".pub"), daemon_key);
  EXPECT_NE(keys.find(daemon_key.substr(0, daemon_key.rfind(' '))), std::string::npos) << keys;

  auto exec = ctl_as(kAlice, {"exec", "alice-vm", "--", "sh", "-c", "echo it is me; exit 7"});
  EXPECT_EQ(exec.exit_code, 7) << exec.describe();
  // Unquoted, ssh would run `sh -c echo it is me; exit 7`: an empty line, then the exit.
  EXPECT_EQ(exec.out, "it is me\n") << exec.describe();
  EXPECT_EQ(exec.err.find("gave VM"), std::string::npos) << "the key was given twice:\n" << exec.describe();

  auto no_command = ctl_as(kAlice, {"exec", "alice-vm"});
  EXPECT_EQ(no_command.exit_code, 2) << no_command.describe();
}

TEST_F(GuestSsh, AnotherUserCanNeitherAddAKeyNorLogIn) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  auto ssh = ctl_as(kBob, {"ssh", "alice-vm", "--", "hostname"});
  EXPECT_EQ(ssh.exit_code, 4) << "denied\n" << ssh.describe();
  EXPECT_EQ(guest_file("/root/.ssh/authorized_keys").find(public_key_of(kBob)), std::string::npos);

  // Nor does his own key get him in by plain ssh.
  const auto bob_home = home_of(kBob);
  auto direct = env().run_as("", {"ip", "netns", "exec", netns_->name(), "setpriv", "--reuid",
                                  std::to_string(BusEnvironment::uid_of(kBob)), "--regid",
                                  std::to_string(getpwnam(kBob.c_str())->pw_gid), "--init-groups", "ssh", "-i",
                                  (bob_home / ".ssh" / "id_ed25519").string(), "-o", "BatchMode=yes", "-o",
                                  "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                                  "ConnectTimeout=10", "root@" + address_, "true"},
                             60s, {{"HOME", bob_home.string()}});
  EXPECT_EQ(direct.exit_code, 255) << direct.describe();
}

// Issue 17, finding 3: the guest's QEMU runs as a uid of its own with no
// capabilities, no way to regain any and a seccomp filter; the guest still
// boots and answers SSH.
TEST_F(GuestSsh, QemuRunsUnprivilegedAndTheGuestStillAnswers) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  const auto runtime = env().dir() / "run" / "vms" / client_->vm_string(vm_, "Id");
  const pid_t qemu = recorded_vmm_pid(runtime);
  ASSERT_NO_FATAL_FAILURE(expect_unprivileged_vmm(qemu));
  EXPECT_NE(process_uid(qemu), BusEnvironment::uid_of(kAlice)) << "not the owner's uid either: the VM's own";
  auto exec = ctl_as(kAlice, {"exec", "alice-vm", "--", "cat", "/proc/uptime"});
  EXPECT_TRUE(exec.ok()) << exec.describe() << env().logs();
}

TEST_F(GuestSsh, KeysAreInstalledAgainAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  auto first = ctl_as(kAlice, {"exec", "alice-vm", "--", "true"});
  ASSERT_TRUE(first.ok()) << first.describe();
  auto restarted = ctl_as(kAlice, {"restart", "alice-vm"});
  ASSERT_TRUE(restarted.ok()) << restarted.describe() << env().logs();
  // The guest's init wrote authorized_keys anew with bangerd's key only; the start put hers back.
  EXPECT_NE(guest_file("/root/.ssh/authorized_keys").find(public_key_of(kAlice)), std::string::npos);
  auto again = ctl_as(kAlice, {"exec", "alice-vm", "--", "cat", "/proc/uptime"});
  EXPECT_TRUE(again.ok()) << again.describe();
  EXPECT_EQ(again.err.find("gave VM"), std::string::npos) << again.describe();
}

}  // namespace
}  // namespace banger::test
