// bangerctl console REF [--linger S]: the VM's serial console, interactively.
#include "app.h"
#include "wake.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bangerctl {

namespace {

constexpr char detach_key = 0x1d;  // Ctrl-]

struct ConsoleArgs {
  std::string ref;
  double linger_s = 2;
};

// Owns a descriptor; closes it once.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// The terminal in raw mode while it lives: keys go to the guest as typed (Ctrl-C
// included), the guest's output appears as sent. Restored on every way out: the
// destructor runs on return and on exceptions, and the stop signals are read in
// the loop (signalfd) instead of killing the process.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0) throw std::runtime_error("cannot read the terminal's settings");
    termios raw = saved_;
    cfmakeraw(&raw);
    if (tcsetattr(fd_, TCSAFLUSH, &raw) != 0) throw std::runtime_error("cannot put the terminal in raw mode");
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal() { tcsetattr(fd_, TCSAFLUSH, &saved_); }

 private:
  int fd_;
  termios saved_{};
};

// SIGTERM, SIGHUP and SIGINT as readable events, so they end the session
// through the normal path (and the terminal is restored).
class StopSignals {
 public:
  StopSignals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGHUP, SIGINT}) sigaddset(&set, s);
    sigprocmask(SIG_BLOCK, &set, &old_);
    fd_ = signalfd(-1, &set, SFD_CLOEXEC);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  ~StopSignals() {
    if (fd_ >= 0) close(fd_);
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  sigset_t old_{};
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

enum class End { detached, closed, signalled, input_done };

// Copies both ways until the user detaches (a terminal), the input ends and
// the guest has been quiet for `linger_ms` (a pipe), the VM's console closes
// (it stopped), or a stop signal arrives.
End relay(int console, bool terminal, int linger_ms, int stop_fd) {
  bool input_open = true;
  char buffer[16384];
  for (;;) {
    pollfd fds[3] = {{stop_fd, POLLIN, 0}, {console, POLLIN, 0}, {input_open ? STDIN_FILENO : -1, POLLIN, 0}};
    int ready = poll(fds, 3, input_open ? -1 : linger_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw std::runtime_error("poll failed");
    if (ready == 0) return End::input_done;
    if (fds[0].revents) {
      // Taken, so it does not strike once the mask is restored on the way out.
      signalfd_siginfo info;
      (void)!read(stop_fd, &info, sizeof info);
      return End::signalled;
    }
    if (fds[1].revents) {
      ssize_t n = read(console, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return End::closed;
      if (!write_all(STDOUT_FILENO, {buffer, static_cast<std::size_t>(n)})) return End::closed;
    }
    if (fds[2].revents) {
      ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        input_open = false;  // a pipe's end: keep showing what the guest answers for a while
        continue;
      }
      std::string_view typed(buffer, static_cast<std::size_t>(n));
      const auto key = terminal ? typed.find(detach_key) : std::string_view::npos;
      if (!write_all(console, typed.substr(0, key))) return End::closed;
      if (key != std::string_view::npos) return End::detached;
    }
  }
}

}  // namespace

void add_console_command(Context& ctx) {
  auto args = std::make_shared<ConsoleArgs>();
  auto* sub = ctx.app.add_subcommand(
      "console", "Attach to a running VM's serial console (a root login on the default image); detach with Ctrl-]");
  sub->add_option("REF", args->ref, ref_help)->required();
  sub->add_option("--linger", args->linger_s,
                  "When stdin is not a terminal: after it ends, keep printing the guest's output until it has "
                  "been quiet this many seconds (default 2)")
      ->check(CLI::Range(0.0, 3600.0));

  select_with(ctx, sub, &args->ref, [args, &g = ctx.globals] {
    // Blocked before the bus connection starts its threads, which inherit the
    // mask: a stop signal delivered to one of them would end us at once.
    StopSignals stop;
    auto client = connect(g);
    Fd console(client.open_console(awake(client, client.get_vm(args->ref)).id));
    // MSG_NOSIGNAL is not there for write(): a console closed under us must not kill us before the terminal is back.
    signal(SIGPIPE, SIG_IGN);
    const bool terminal = isatty(STDIN_FILENO) == 1;
    End end;
    {
      std::optional<RawTerminal> raw;
      if (terminal) {
        // Raw first: once the banner is out, a Ctrl-] typed after reading it must reach relay(),
        // not a line discipline that TCSAFLUSH is about to discard. Raw output: \r\n.
        raw.emplace(STDIN_FILENO);
        std::cerr << "Connected to the console of " << args->ref << "; detach with Ctrl-] "
                  << "(press Enter for a login prompt)\r\n";
      }
      end = relay(console.get(), terminal, static_cast<int>(args->linger_s * 1000), stop.fd());
    }
    if (terminal) std::cerr << '\n';
    switch (end) {
      case End::detached: std::cerr << "Detached from the console of " << args->ref << "\n"; break;
      case End::closed: std::cerr << "The console of " << args->ref << " closed (the VM stopped)\n"; break;
      case End::signalled: throw std::runtime_error("interrupted by a signal; detached");
      case End::input_done: break;
    }
  });
}

}  // namespace bangerctl
