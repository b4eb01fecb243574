#include "vmm/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

namespace {

struct ProcStat {
  char state = '?';
  int tty_nr = 0;
  std::uint64_t start_time = 0;
};

std::optional<ProcStat> read_stat(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // comm (field 2) may hold spaces and parentheses: parse after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  ProcStat stat;
  rest >> stat.state;
  std::string skip;
  rest >> skip >> skip >> skip >> stat.tty_nr;  // fields 4..7
  for (int field = 8; field < 22; ++field) rest >> skip;  // fields 8..21
  rest >> stat.start_time;
  if (!rest) return std::nullopt;
  return stat;
}

[[noreturn]] void child_exec(const std::vector<std::string>& argv, const std::filesystem::path& log_file) {
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int log_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (null_fd < 0 || log_fd < 0) _exit(126);
  dup2(null_fd, STDIN_FILENO);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

}  // namespace

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  auto stat = read_stat(pid);
  if (!stat) return std::nullopt;
  return stat->start_time;
}

std::string process_argv0(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  std::string first;
  std::getline(in, first, '\0');
  return first;
}

std::vector<std::string> process_cmdline(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  return args;
}

int kill_unrecorded_vmms(const std::filesystem::path& runtime_dir, const std::vector<ProcessId>& keep) {
  const std::string marker = (runtime_dir / "vms").string() + "/";
  int killed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (pid == getpid()) continue;
    auto stat = read_stat(pid);
    if (!stat || stat->tty_nr != 0 || stat->state == 'Z') continue;
    bool mentions = false;
    for (const auto& arg : process_cmdline(pid)) mentions = mentions || arg.find(marker) != std::string::npos;
    if (!mentions) continue;
    bool kept = false;
    for (const auto& k : keep) kept = kept || (k.pid == pid && k.start_time == stat->start_time);
    if (kept) continue;
    if (::kill(pid, SIGKILL) == 0) ++killed;
  }
  return killed;
}

ProcessId spawn_detached(const std::vector<std::string>& argv, const std::filesystem::path& log_file) {
  if (argv.empty()) throw Error(ErrorKind::backend_failed, "empty command line");
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) throw Error(ErrorKind::backend_failed, "pipe2 failed");
  pid_t middle = fork();
  if (middle < 0) {
    close(report[0]);
    close(report[1]);
    throw Error(ErrorKind::backend_failed, fmt::format("fork failed: {}", strerror(errno)));
  }
  if (middle == 0) {
    close(report[0]);
    // A new session here, so the VMM is in it without leading it: it can
    // never acquire a controlling terminal.
    setsid();
    pid_t grandchild = fork();
    if (grandchild == 0) child_exec(argv, log_file);
    (void)!write(report[1], &grandchild, sizeof grandchild);
    _exit(grandchild < 0 ? 1 : 0);
  }
  close(report[1]);
  pid_t pid = -1;
  ssize_t got = read(report[0], &pid, sizeof pid);
  close(report[0]);
  waitpid(middle, nullptr, 0);
  if (got != static_cast<ssize_t>(sizeof pid) || pid <= 0)
    throw Error(ErrorKind::backend_failed, fmt::format("could not start {}", argv[0]));
  auto start = process_start_time(pid);
  if (!start) throw Error(ErrorKind::backend_failed, fmt::format("{} exited at once", argv[0]));
  return {pid, *start};
}

bool is_running(const ProcessId& process) {
  if (process.pid <= 0) return false;
  auto stat = read_stat(process.pid);
  return stat && stat->state != 'Z' && stat->state != 'X' && stat->start_time == process.start_time;
}

bool wait_gone(const ProcessId& process, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (is_running(process)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void terminate(const ProcessId& process, std::chrono::milliseconds grace) {
  if (!is_running(process)) return;
  ::kill(process.pid, SIGTERM);
  if (wait_gone(process, grace)) return;
  ::kill(process.pid, SIGKILL);
  if (!wait_gone(process, std::chrono::seconds(5)))
    throw Error(ErrorKind::backend_failed, fmt::format("process {} survived SIGKILL", process.pid));
}

}  // namespace banger
