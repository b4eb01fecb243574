// bangerctl top: the running VMs' stats, redrawn whenever bangerd signals a change.
#include "app.h"
#include "output.h"
#include "stats_output.h"

#include <fmt/format.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <iostream>
#include <memory>
#include <sstream>

namespace bangerctl {

namespace {

// The terminal as top found it; restored on every way out, including SIGTERM and SIGHUP.
termios saved_terminal;
bool terminal_changed = false;
constexpr char leave_screen[] = "\x1b[?25h\x1b[?1049l";

void restore_terminal() {
  if (!terminal_changed) return;
  terminal_changed = false;
  (void)!::write(STDOUT_FILENO, leave_screen, sizeof(leave_screen) - 1);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
}

void on_fatal_signal(int signal) {
  restore_terminal();  // write and tcsetattr are async-signal-safe
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

// Keys arrive one at a time and unechoed; Ctrl-C arrives as a key (ISIG off),
// so quitting always goes through the restore.
class FullScreen {
 public:
  FullScreen() {
    if (::tcgetattr(STDIN_FILENO, &saved_terminal) != 0) return;
    termios raw = saved_terminal;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) return;
    terminal_changed = true;
    ::signal(SIGTERM, on_fatal_signal);
    ::signal(SIGHUP, on_fatal_signal);
    std::cout << "\x1b[?1049h\x1b[?25l" << std::flush;
  }
  ~FullScreen() { restore_terminal(); }
  FullScreen(const FullScreen&) = delete;
  FullScreen& operator=(const FullScreen&) = delete;
};

std::string frame(const std::vector<banger::client::VmStats>& vms) {
  std::vector<banger::client::VmStats> running;
  std::copy_if(vms.begin(), vms.end(), std::back_inserter(running),
               [](const auto& vm) { return vm.state == "running"; });
  std::stable_sort(running.begin(), running.end(),
                   [](const auto& a, const auto& b) { return a.cpu_percent > b.cpu_percent; });
  const std::time_t now = std::time(nullptr);
  char clock[16];
  std::strftime(clock, sizeof clock, "%H:%M:%S", std::localtime(&now));
  std::ostringstream out;
  out << fmt::format("bangerctl top - {} - {} VMs, {} running\n\n", clock, vms.size(), running.size());
  print_table(out, stats_rows(running));
  return out.str();
}

}  // namespace

void add_top_command(Context& ctx) {
  auto frames = std::make_shared<unsigned>(0);
  auto* sub = ctx.app.add_subcommand("top", "Follow the running VMs' stats live (q or Ctrl-C quits)");
  sub->add_option("-n,--iterations", *frames, "Stop after this many screens (0: until q)");
  select_with(ctx, sub, nullptr, [frames, &g = ctx.globals] {
    auto client = connect(g);
    const bool interactive = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
    std::unique_ptr<FullScreen> screen;
    if (interactive) screen = std::make_unique<FullScreen>();
    unsigned shown = 0;
    client.watch_stats(
        [&](const std::vector<banger::client::VmStats>& vms) {
          if (g.json) {
            std::cout << to_json(vms).dump() << '\n';
          } else {
            // Without a terminal the screens follow one another, as top -b does.
            std::cout << (interactive ? "\x1b[H\x1b[2J" : (shown > 0 ? "\n" : "")) << frame(vms);
          }
          std::cout.flush();
          return *frames == 0 || ++shown < *frames;
        },
        interactive ? STDIN_FILENO : -1,
        [] {
          char key = 0;
          const auto n = ::read(STDIN_FILENO, &key, 1);
          return n == 1 && key != 'q' && key != 'Q' && key != 3;  // 3: Ctrl-C
        });
  });
}

}  // namespace bangerctl
