// VM.OpenConsole and `bangerctl console` against bangerd-test with the console
// relay (tests/bus/data/bangerd-console-attach.toml.in): who may attach, when,
// one client at a time, and a relay that outlives a bangerd crash. The stand-in
// VMM does not use the pty, so what flows is tested with real guests
// (tests/qemu/test_guest_console.cpp) and in the relay's own tests.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "test_support.h"

namespace banger::test {
namespace {

namespace err = banger::bus::error;

class ConsoleAttach : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
  }
  void TearDown() override {
    connection_.reset();
    ClientTest::TearDown();
  }

  // VM.OpenConsole as root, over this test's own connection; the socket's descriptor.
  sdbus::UnixFd open_console(const std::string& vm) {
    auto proxy = sdbus::createProxy(*connection_, banger::bus::service_name, vm);
    sdbus::UnixFd fd;
    proxy->callMethod("OpenConsole").onInterface(kVm).storeResultsTo(fd);
    return fd;
  }
  std::string open_error(const std::string& vm) {
    auto e = error_of([&] { open_console(vm); });
    return e ? e->getName() : "no error";
  }

  RunResult ctl(const std::vector<std::string>& args, const std::string& user = "") {
    std::vector<std::string> argv{env().bangerctl(), "--no-progress", "--no-ask-password"};
    argv.insert(argv.end(), args.begin(), args.end());
    return env().run_as(user, argv, 60s);
  }

  // True when the socket is open and still connected to a relay.
  static bool connected(int fd) {
    pollfd p{fd, POLLRDHUP, 0};
    return fcntl(fd, F_GETFD) != -1 && poll(&p, 1, 0) == 0;
  }

  // `bangerctl console vm` on a terminal of the test's own (a pty); its output
  // is read from `master`.
  struct OnTerminal {
    pid_t pid = -1;
    int master = -1;
  };
  OnTerminal console_on_terminal(const std::string& vm) {
    OnTerminal t;
    t.pid = forkpty(&t.master, nullptr, nullptr, nullptr);
    if (t.pid == 0) {
      setenv("DBUS_SYSTEM_BUS_ADDRESS", env().address().c_str(), 1);
      execl(env().bangerctl().c_str(), env().bangerctl().c_str(), "--no-ask-password", "console", vm.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    return t;
  }
  static std::string read_until(int fd, const std::string& needle) {
    std::string got;
    for (auto end = std::chrono::steady_clock::now() + 20s;
         got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end;) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) != 1) continue;
      char buffer[1024];
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
  }
  static bool canonical(int master) {
    termios t{};
    return tcgetattr(master, &t) == 0 && (t.c_lflag & ICANON) && (t.c_lflag & ECHO);
  }
  // Its exit status; -2 when it has not ended within 20 s (then killed: a failure, not a hang).
  static int exit_code(pid_t pid) {
    int status = 0;
    for (auto end = std::chrono::steady_clock::now() + 20s; waitpid(pid, &status, WNOHANG) == 0;) {
      if (std::chrono::steady_clock::now() > end) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -2;
      }
      std::this_thread::sleep_for(50ms);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::unique_ptr<sdbus::IConnection> connection_;
};

TEST_F(ConsoleAttach, OnlyARunningVmHasAConsole) {
  const std::string vm = client_->create_ready(*recorder_, "console-idle");
  EXPECT_EQ(open_error(vm), err::invalid_state);
  auto created = ctl({"console", "console-idle"});
  EXPECT_EQ(created.exit_code, 1) << created.describe();
  EXPECT_NE(created.err.find("only while it runs"), std::string::npos) << created.err;

  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  {
    auto fd = open_console(vm);
    EXPECT_TRUE(connected(fd.get()));
  }
  client_->stop(vm);
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped"));
  EXPECT_EQ(open_error(vm), err::invalid_state);
  client_->vm_call(vm, "Delete");
}

TEST_F(ConsoleAttach, OneClientAtATimeAndDetachingFreesIt) {
  const std::string vm = running_vm("console-busy");
  auto first = open_console(vm);
  ASSERT_TRUE(connected(first.get()));
  EXPECT_EQ(open_error(vm), err::busy);
  auto busy = ctl({"console", "console-busy", "--linger", "0"});
  EXPECT_EQ(busy.exit_code, 1) << busy.describe();
  EXPECT_NE(busy.err.find("another client"), std::string::npos) << busy.err;
  EXPECT_TRUE(connected(first.get())) << "a refused second client leaves the first attached";

  first = sdbus::UnixFd();  // detach
  auto again = open_console(vm);
  EXPECT_TRUE(connected(again.get()));
  again = sdbus::UnixFd();
  // bangerctl in pipe mode: stdin ends at once, it lingers briefly and detaches.
  auto piped = ctl({"console", "console-busy", "--linger", "0.2"});
  EXPECT_TRUE(piped.ok()) << piped.describe();
  auto after = open_console(vm);
  EXPECT_TRUE(connected(after.get())) << "bangerctl detached on its way out";
  after = sdbus::UnixFd();

  client_->vm_call(vm, "Kill");
  client_->vm_call(vm, "Delete");
}

TEST_F(ConsoleAttach, OnATerminalCtrlBracketDetachesAndTheTerminalComesBack) {
  const std::string vm = running_vm("console-tty");
  auto t = console_on_terminal("console-tty");
  ASSERT_GT(t.pid, 0);
  ASSERT_TRUE(canonical(t.master));
  auto attached = read_until(t.master, "detach with Ctrl-]");
  ASSERT_NE(attached.find("detach with Ctrl-]"), std::string::npos) << attached;
  EXPECT_FALSE(canonical(t.master)) << "raw while attached";
  EXPECT_EQ(open_error(vm), err::busy);
  ASSERT_EQ(write(t.master, "\x1d", 1), 1);
  auto detached = read_until(t.master, "Detached");
  EXPECT_NE(detached.find("Detached"), std::string::npos) << detached;
  EXPECT_TRUE(canonical(t.master)) << "the terminal's settings are back";
  EXPECT_EQ(exit_code(t.pid), 0);
  close(t.master);
  auto again = open_console(vm);
  EXPECT_TRUE(connected(again.get()));
  again = sdbus::UnixFd();

  // SIGTERM (as SIGHUP, SIGINT) ends it the same orderly way, with a failure status.
  t = console_on_terminal("console-tty");
  ASSERT_NE(read_until(t.master, "detach with Ctrl-]").find("detach with Ctrl-]"), std::string::npos);
  kill(t.pid, SIGTERM);
  auto ended = read_until(t.master, "interrupted");
  EXPECT_NE(ended.find("interrupted"), std::string::npos) << ended;
  EXPECT_TRUE(canonical(t.master)) << "the terminal's settings are back after SIGTERM";
  EXPECT_EQ(exit_code(t.pid), 1);
  close(t.master);

  client_->vm_call(vm, "Kill");
  client_->vm_call(vm, "Delete");
}

TEST_F(ConsoleAttach, OnlyTheOwnerAndOperatorsMayAttach) {
  auto created = ctl({"create", "alice-tty", "--start"}, "banger-alice");
  ASSERT_TRUE(created.ok()) << created.describe();
  const std::string vm = client_->get_vm("alice-tty");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "LastError");

  auto own = ctl({"console", "alice-tty", "--linger", "0"}, "banger-alice");
  EXPECT_TRUE(own.ok()) << own.describe();
  auto op = ctl({"console", "alice-tty", "--linger", "0"}, "banger-op");
  EXPECT_TRUE(op.ok()) << op.describe();
  for (const std::string user : {"banger-bob", "banger-eve"}) {
    SCOPED_TRACE(user);
    auto quiet = parse_probe(env().probe_as(user, {"--no-interactive", vm, kVm, "OpenConsole"}));
    EXPECT_EQ(quiet.error_name, kDeniedWithoutInteraction) << quiet.error_message;
    auto denied = ctl({"console", "alice-tty"}, user);
    EXPECT_EQ(denied.exit_code, 4) << denied.describe();
  }
  client_->vm_call(vm, "Kill");
  client_->vm_call(vm, "Delete");
}

TEST_F(ConsoleAttach, TheRelayOutlivesABangerdCrashAndEndsWithItsVm) {
  const std::string vm = running_vm("console-crash");
  const std::string id = client_->vm_string(vm, "Id");
  const auto relay_record = env().dir() / "run" / "vms" / id / "console-relay.json";
  ASSERT_TRUE(std::filesystem::exists(relay_record));
  {
    auto held = open_console(vm);
    env().kill_daemon();
    EXPECT_TRUE(connected(held.get())) << "the console does not go through bangerd";
    connection_.reset();
    ASSERT_NO_THROW(env().start_daemon());
    connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
    client_ = std::make_unique<BusClient>(env().address());
    EXPECT_TRUE(connected(held.get())) << "the restarted bangerd's sweep spared the relay\n" << env().logs();
    EXPECT_EQ(open_error(vm), err::busy) << "the same relay, still holding its client";
  }
  auto fd = open_console(vm);
  EXPECT_TRUE(connected(fd.get()));

  // The stand-in guest powers off: the VMM exits, and the relay with it.
  std::ofstream(env().dir() / "run" / "vms" / id / "guest-poweroff").put('\n');
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped"));
  char byte;
  pollfd p{fd.get(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  EXPECT_EQ(recv(fd.get(), &byte, 1, 0), 0) << "the console closed with the VM";
  EXPECT_FALSE(std::filesystem::exists(relay_record));
  client_->vm_call(vm, "Delete");
}

}  // namespace
}  // namespace banger::test
