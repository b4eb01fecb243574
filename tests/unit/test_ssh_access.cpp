#include <gtest/gtest.h>

#include <string>

#include "capabilities/ssh_access.h"
#include "fake_ssh_server.h"
#include "ssh_fixtures.h"

namespace banger {
namespace {

using namespace std::chrono_literals;
using testing::FakeSshServer;

struct SshAccessTest : ::testing::Test {
  testing::TempDir dir{"ssh-access"};
  SshKeyPair key = SshKeyPair::load_or_create(dir.path / "ssh", "banger@test");
  testing::FixedAttachments attachments;
  std::string console = "booting\n";
  std::vector<std::string> console_asked;
  VmRecord vm;

  void SetUp() override {
    vm.id = "0123456789abcdef0123456789abcdef";
    vm.name = "web";
    attachments.attachment = testing::attached_at("127.0.0.1");
  }

  // Waits only for the banner: the fake servers speak no more SSH than that.
  SshAccess access(std::uint16_t port, std::chrono::milliseconds timeout) {
    return SshAccess(attachments, key, GuestHostKeys(dir.path), [this](const std::string& id) {
      console_asked.push_back(id);
      return console;
    }, SshAccessSettings{timeout, port, false});
  }

  std::string start_failure(SshAccess& ssh) {
    return testing::backend_failure_of([&] { ssh.post_start(vm); });
  }
};

TEST_F(SshAccessTest, GuestGetsTheDaemonsPublicKeyInBase64) {
  // Three comments of lengths that differ mod 3 cover each kind of base64 padding.
  for (std::string comment : {"banger@a", "banger@ab", "banger@abc"}) {
    SCOPED_TRACE(comment);
    SshAccess ssh(attachments, SshKeyPair::load_or_create(dir.path / comment, comment), GuestHostKeys(dir.path), {}, {});
    GuestConfig guest;
    ssh.contribute_guest(vm, guest);
    const std::string value = guest.values.at("ssh_key");
    EXPECT_EQ(value.find_first_of(" \n"), std::string::npos);
    // Decoded as the guest's init does it.
    EXPECT_EQ(testing::shell_output("echo '" + value + "' | base64 -d", dir.path),
              SshKeyPair::load_or_create(dir.path / comment).public_key());
  }
}

TEST_F(SshAccessTest, VmWithoutNetworkGetsNoKeyAndNoWait) {
  attachments.attachment.reset();
  testing::RefusingPort nobody;
  auto ssh = access(nobody.port(), 5s);
  GuestConfig guest;
  ssh.contribute_guest(vm, guest);
  EXPECT_TRUE(guest.values.empty());
  const auto start = std::chrono::steady_clock::now();
  ssh.post_start(vm);
  EXPECT_LT(testing::elapsed_since(start), 100ms);
}

TEST_F(SshAccessTest, StartReturnsAsSoonAsTheServerSendsItsIdentification) {
  FakeSshServer server(FakeSshServer::Answer::greeting);
  auto ssh = access(server.port(), 5s);
  const auto start = std::chrono::steady_clock::now();
  ssh.post_start(vm);
  EXPECT_LT(testing::elapsed_since(start), 500ms);
  EXPECT_TRUE(console_asked.empty());
}

TEST_F(SshAccessTest, LinesBeforeTheIdentificationAreSkipped) {
  FakeSshServer server(FakeSshServer::Answer::greeting, "welcome\r\nto the guest\r\nSSH-2.0-dropbear\r\n");
  auto ssh = access(server.port(), 5s);
  EXPECT_NO_THROW(ssh.post_start(vm));
}

TEST_F(SshAccessTest, ServerThatAnswersButNeverLogsInFailsAfterTheTimeout) {
  // An identification line and then nothing: libssh's key exchange never ends.
  FakeSshServer server(FakeSshServer::Answer::greeting);
  SshAccess ssh(attachments, key, GuestHostKeys(dir.path), [](const std::string&) { return std::string("login: \n"); },
                SshAccessSettings{800ms, server.port(), true});
  const auto start = std::chrono::steady_clock::now();
  ::testing::internal::CaptureStderr();
  const std::string message = start_failure(ssh);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_GE(testing::elapsed_since(start), 800ms);
  EXPECT_LT(testing::elapsed_since(start), 3s);
  EXPECT_NE(message.find("VM 'web': the guest's SSH server at 127.0.0.1:" + std::to_string(server.port()) +
                         " answered, but logging in as root with the daemon's key did not succeed in time: "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("bangerctl logs web"), std::string::npos) << message;
  EXPECT_NE(log.find("the console's last lines: login: "), std::string::npos) << log;
}

TEST_F(SshAccessTest, ServerThatStartsLateIsNoticedWithinATenthOfASecond) {
  FakeSshServer server(FakeSshServer::Answer::greeting, "SSH-2.0-late\r\n", 600ms);
  auto ssh = access(server.port(), 5s);
  ssh.post_start(vm);
  const auto late = testing::elapsed_since(server.listening_since());
  EXPECT_GE(late, 0ms);
  // 50 ms between refusals at most; the rest is slack for a busy machine.
  EXPECT_LT(late, 150ms);
}

TEST_F(SshAccessTest, NobodyListeningFailsAfterTheTimeoutAndLogsTheConsoleTail) {
  console.clear();
  for (int i = 1; i <= 15; ++i) console += "line " + std::to_string(i) + "\r\n";
  console += "\x1b[1mbold\x1b[0m \xff end\n";
  testing::RefusingPort nobody;
  auto ssh = access(nobody.port(), 500ms);
  const auto start = std::chrono::steady_clock::now();
  ::testing::internal::CaptureStderr();
  const std::string message = start_failure(ssh);
  const std::string log = ::testing::internal::GetCapturedStderr();
  const auto took = testing::elapsed_since(start);
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_NE(message.find("VM 'web': the guest's SSH server did not answer at 127.0.0.1:" +
                         std::to_string(nobody.port()) + " within 0.5 s (last attempt: connect: Connection refused)"),
            std::string::npos)
      << message;
  // The last ten lines, made printable (escapes and CRs gone, other bytes '?'), in the
  // log (one line there: stderr's records end at a newline); the error has none of them.
  EXPECT_NE(log.find("the console's last lines: line 7 line 8 "), std::string::npos) << log;
  EXPECT_NE(log.find("line 15 bold ? end"), std::string::npos) << log;
  EXPECT_EQ(log.find("line 6 "), std::string::npos) << log;
  EXPECT_EQ(log.find_first_of("\r\x1b\xff"), std::string::npos) << log;
  EXPECT_EQ(message.find("line "), std::string::npos) << message;
  EXPECT_EQ(console_asked, std::vector<std::string>{vm.id});
}

// Issue 17, finding 9: a failed start's error becomes LastError and the StateChanged
// reason, which every local user reads, while the console is only for those allowed
// ReadConsole. The guest's lines go to bangerd's log; the error says where to look.
TEST_F(SshAccessTest, ConsoleLinesGoToTheLogNeverIntoTheError) {
  console = "login: root\nPassword for the db: hunter2-secret\n";
  testing::RefusingPort nobody;
  auto ssh = access(nobody.port(), 200ms);
  ::testing::internal::CaptureStderr();
  const std::string message = start_failure(ssh);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(message.find("did not answer"), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter2-secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("login: root"), std::string::npos) << message;
  EXPECT_NE(message.find("bangerctl logs web"), std::string::npos) << message;
  EXPECT_NE(log.find("Password for the db: hunter2-secret"), std::string::npos) << log;
  EXPECT_NE(log.find("VM 'web'"), std::string::npos) << log;
}

TEST_F(SshAccessTest, ServerThatNeverSendsItsIdentificationTimesOut) {
  FakeSshServer server(FakeSshServer::Answer::silence);
  console.clear();
  auto ssh = access(server.port(), 400ms);
  const auto start = std::chrono::steady_clock::now();
  const std::string message = start_failure(ssh);
  EXPECT_GE(testing::elapsed_since(start), 400ms);
  EXPECT_NE(message.find("within 0.4 s (last attempt: connected, but no SSH identification line came)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("The console is empty."), std::string::npos) << message;
}

TEST_F(SshAccessTest, ServerThatHangsUpIsRetriedUntilTheTimeout) {
  FakeSshServer server(FakeSshServer::Answer::hang_up);
  auto ssh = access(server.port(), 300ms);
  const std::string message = start_failure(ssh);
  EXPECT_NE(message.find("closed the connection without an SSH identification line"), std::string::npos) << message;
}

TEST_F(SshAccessTest, VmmThatStopsEndsTheWaitAtOnce) {
  testing::RefusingPort nobody;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> asked;
  SshAccess ssh(attachments, key, GuestHostKeys(dir.path), [](const std::string&) { return std::string("Kernel panic - not syncing\n"); },
                SshAccessSettings{5s, nobody.port(), false}, [&](const std::string& id) {
                  asked.push_back(id);
                  return testing::elapsed_since(start) < 300ms;
                });
  ::testing::internal::CaptureStderr();
  const std::string message = start_failure(ssh);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_LT(testing::elapsed_since(start), 1s);
  EXPECT_NE(message.find("VM 'web': the VM stopped running before its SSH server answered at 127.0.0.1:" +
                         std::to_string(nobody.port())),
            std::string::npos)
      << message;
  EXPECT_NE(log.find("Kernel panic - not syncing"), std::string::npos) << log;
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked.back(), vm.id);
}

TEST_F(SshAccessTest, RunningVmmIsWaitedForAsUsual) {
  FakeSshServer server(FakeSshServer::Answer::greeting, "SSH-2.0-late\r\n", 300ms);
  int asked = 0;
  SshAccess ssh(attachments, key, GuestHostKeys(dir.path), {}, SshAccessSettings{5s, server.port(), false}, [&](const std::string&) {
    ++asked;
    return true;
  });
  ssh.post_start(vm);
  EXPECT_GT(asked, 1);
}

TEST_F(SshAccessTest, UnreadableConsoleStillGivesTheTimeout) {
  testing::RefusingPort nobody;
  SshAccess ssh(attachments, key, GuestHostKeys(dir.path), [](const std::string&) -> std::string { throw std::runtime_error("gone"); },
                SshAccessSettings{200ms, nobody.port(), false});
  const std::string message = start_failure(ssh);
  EXPECT_NE(message.find("did not answer"), std::string::npos) << message;
  EXPECT_NE(message.find("The console cannot be read: gone"), std::string::npos) << message;
}

TEST_F(SshAccessTest, DoctorShowsTheKeyAndFailsWhenItsFileBreaks) {
  auto ssh = access(22, 1s);
  std::vector<DoctorCheck> checks;
  ssh.add_doctor_checks(checks);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].check, "ssh-key");
  EXPECT_EQ(checks[0].status, "ok");
  EXPECT_EQ(checks[0].summary, "the daemon's SSH key " + key.fingerprint());
  EXPECT_EQ(checks[0].detail, key.private_key_file().string());

  std::ofstream(key.private_key_file(), std::ios::trunc) << "garbage\n";
  checks.clear();
  ssh.add_doctor_checks(checks);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].status, "fail");
  EXPECT_NE(checks[0].summary.find(key.private_key_file().string()), std::string::npos) << checks[0].summary;
  EXPECT_FALSE(checks[0].fix.empty());
}

}  // namespace
}  // namespace banger
