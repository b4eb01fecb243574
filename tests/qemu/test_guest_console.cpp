// The interactive serial console of a real guest: the real bangerd (QEMU
// backend, the default image, its console relay) in a network namespace of this
// suite's own, as in bus-guest-network. VM.OpenConsole's descriptor reaches the
// guest's login prompt on ttyS0, logs in as root and runs commands; what it
// shows is in the console log too; a bangerd crash and restart leaves the
// console (and the logged-in shell) as it was.
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <string>

#include "bangerd_netns.h"
#include "default_image.h"
#include "guest_shell.h"
#include "test_support.h"

namespace banger::test {
namespace {

using Clock = std::chrono::steady_clock;

// What arrives on the console until `needle` shows up (or `timeout` passes).
std::string read_until(int fd, const std::string& needle, std::chrono::seconds timeout) {
  std::string got;
  for (auto end = Clock::now() + timeout; got.find(needle) == std::string::npos && Clock::now() < end;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) != 1) continue;
    char buffer[4096];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

void type(int fd, const std::string& text) {
  ASSERT_EQ(send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}

// Types `command` until its output holds `expected`: the first keys may reach
// the shell before it reads its terminal (login just handed over), so retry.
std::string run_until(int fd, const std::string& command, const std::string& expected) {
  std::string seen;
  for (int attempt = 0; attempt < 6 && seen.find(expected) == std::string::npos; ++attempt) {
    type(fd, command + "\n");
    seen += read_until(fd, expected, std::chrono::seconds(10));
  }
  return seen;
}

class GuestConsole : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {}, .devices = {"/dev/net/tun"}})) return;
    ClientTest::SetUpTestSuite();
  }

  // The suite's guest, running: made on first use, shared by the tests after it.
  void boot() {
    if (!guest_.empty()) return;
    ASSERT_TRUE(boot_failure_.empty()) << "booting the guest failed before: " << boot_failure_;
    boot_failure_ = "see the first test that booted it";
    auto image = build_and_import_default_image(env());
    ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
    guest_ = client_->create_ready(*recorder_, "tty", {{"memory", sdbus::Variant(256u)}});
    call(guest_, "Start");
    ASSERT_TRUE(client_->wait_state(*recorder_, guest_, "running", 60s)) << client_->vm_string(guest_, "LastError");
    boot_failure_.clear();
  }

  sdbus::UnixFd open_console() {
    auto proxy = sdbus::createProxy(*connection_, kService, guest_);
    sdbus::UnixFd fd;
    proxy->callMethod("OpenConsole").onInterface(kVm).storeResultsTo(fd);
    return fd;
  }
  std::string console() { return console_of(*client_, guest_, "tty"); }

  static inline std::string guest_, boot_failure_;
};

TEST_F(GuestConsole, TheConsoleOffersALoginAndRunsCommands) {
  ASSERT_NO_FATAL_FAILURE(boot());
  auto fd = open_console();
  // The prompt was printed before we attached: Enter asks getty for a fresh one.
  std::string prompt;
  for (int attempt = 0; attempt < 6 && prompt.find("login: ") == std::string::npos; ++attempt) {
    type(fd.get(), "\n");
    prompt += read_until(fd.get(), "login: ", std::chrono::seconds(10));
  }
  ASSERT_NE(prompt.find("login: "), std::string::npos) << prompt << console();
  type(fd.get(), "root\n");
  const auto out = run_until(fd.get(), "echo banger-$((6*7))", "banger-42");
  ASSERT_NE(out.find("banger-42"), std::string::npos) << out << console();
  EXPECT_TRUE(client_->console_says(guest_, "banger-42", 10s)) << "the console log has it too\n" << console();
  // Only one client at a time.
  auto busy = error_of([&] { open_console(); });
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->getName(), banger::bus::error::busy);
}

TEST_F(GuestConsole, ARestartedBangerdLeavesTheConsoleAndItsShellAsTheyWere) {
  ASSERT_NO_FATAL_FAILURE(boot());
  env().kill_daemon();
  ASSERT_NO_THROW(env().start_daemon());
  connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
  client_ = std::make_unique<BusClient>(env().address());
  ASSERT_EQ(client_->vm_string(guest_, "State"), "running") << env().logs();
  auto fd = open_console();
  // Still the root shell the previous test logged in (detaching does not log out).
  const auto out = run_until(fd.get(), "echo again-$((7*6)) as $(id -u)", "again-42 as 0");
  EXPECT_NE(out.find("again-42 as 0"), std::string::npos) << out << console();
}

TEST_F(GuestConsole, BangerctlConsoleWorksInAPipe) {
  ASSERT_NO_FATAL_FAILURE(boot());
  auto piped = env().run_as("", {"/bin/sh", "-c",
                                 "printf 'echo piped-$((2*21))\\n' | \"$0\" --no-ask-password console tty --linger 3",
                                 env().bangerctl()});
  EXPECT_TRUE(piped.ok()) << piped.describe();
  EXPECT_NE(piped.out.find("piped-42"), std::string::npos) << piped.describe() << console();
  client_->vm_call(guest_, "Kill");
  client_->vm_call(guest_, "Delete");
}

}  // namespace
}  // namespace banger::test
