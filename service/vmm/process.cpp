#include "vmm/process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/unique_fd.h"

#ifndef P_PIDFD
#define P_PIDFD 3  // Linux 5.4; Debian 12's glibc headers lack it
#endif

namespace banger {

namespace {

struct ProcStat {
  char state = '?';
  int session = 0;
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
  rest >> skip >> skip >> stat.session >> stat.tty_nr;  // fields 4..7
  for (int field = 8; field < 22; ++field) rest >> skip;  // fields 8..21
  rest >> stat.start_time;
  if (!rest) return std::nullopt;
  return stat;
}

// Spawned by spawn_detached and not reaped yet, each with a pidfd: a pid is
// reused as soon as the child is reaped (by a pidfd waiter, say), and the pidfd
// keeps the reaper from taking the exit of whatever child gets that pid next.
std::mutex children_mutex;
std::map<pid_t, int> children;  // pid -> pidfd

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
  // A live process's command line can read empty for a moment (seen on 6.18 while the
  // process forks: its memory is busy), which would make a VMM look like none; read
  // again a few times before believing it. Zombies and kernel threads are empty for good.
  for (int attempt = 0;; ++attempt) {
    std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
    std::vector<std::string> args;
    std::string arg;
    while (std::getline(in, arg, '\0')) args.push_back(arg);
    if (!args.empty() || attempt == 4) return args;
    const auto stat = read_stat(pid);
    if (!stat || stat->state == 'Z' || stat->state == 'X' || stat->state == 'I') return args;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool command_line_mentions(pid_t pid, std::string_view needle) {
  const auto args = process_cmdline(pid);
  return std::any_of(args.begin(), args.end(),
                     [&](const std::string& arg) { return arg.find(needle) != std::string::npos; });
}

namespace {

// The real and effective uids of /proc/<pid>/status ("Uid:\treal\teffective\tsaved\tfs").
std::optional<std::pair<uid_t, uid_t>> real_and_effective_uid(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    uid_t real = 0, effective = 0;
    if (fields >> real >> effective) return std::pair(real, effective);
    return std::nullopt;
  }
  return std::nullopt;
}

// Whether one of the process's arguments is one of `ids`, whole.
bool names_one_of(pid_t pid, const std::vector<std::string>& ids) {
  if (ids.empty()) return false;
  const auto args = process_cmdline(pid);
  return std::any_of(args.begin(), args.end(),
                     [&](const std::string& arg) { return std::find(ids.begin(), ids.end(), arg) != ids.end(); });
}

}  // namespace

int kill_unrecorded_vmms(const std::filesystem::path& runtime_dir, const std::vector<ProcessId>& keep,
                         const VmmUids& vmm_uids, const std::vector<std::string>& vm_ids) {
  const std::string marker = (runtime_dir / "vms").string() + "/";
  int killed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (pid == getpid()) continue;
    // First the pidfd, then the checks: should the process end and its pid be reused
    // meanwhile, the checks may pass on the newcomer, but the signal goes to the
    // process that ended (ESRCH), never to the newcomer.
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd.valid()) continue;
    auto stat = read_stat(pid);
    // spawn_detached makes each VMM the leader of its own session, without a terminal.
    if (!stat || stat->session != pid || stat->tty_nr != 0 || stat->state == 'Z') continue;
    const auto uids = real_and_effective_uid(pid);
    if (!uids || !vmm_uids.includes(uids->first) || !vmm_uids.includes(uids->second)) continue;
    if (!command_line_mentions(pid, marker) && !(uids->first != 0 && names_one_of(pid, vm_ids))) continue;
    bool kept = false;
    for (const auto& k : keep) kept = kept || (k.pid == pid && k.start_time == stat->start_time);
    if (kept) continue;
    if (syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) == 0) ++killed;
  }
  return killed;
}

int machined_poweroff_signal() { return SIGRTMIN + 4; }

bool signal_pending(pid_t pid, int signo) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  const std::uint64_t bit = std::uint64_t{1} << (signo - 1);
  std::string line;
  while (std::getline(in, line)) {
    // SigPnd: sent to one thread; ShdPnd: sent to the process (kill(2)), waiting for a thread to take it.
    if (line.rfind("SigPnd:", 0) != 0 && line.rfind("ShdPnd:", 0) != 0) continue;
    try {
      if (std::stoull(line.substr(7), nullptr, 16) & bit) return true;
    } catch (const std::exception&) {
    }
  }
  return false;
}

namespace {

// The process of spawn_session() as another user: unprivileged_exec(), with the same files and signals.
pid_t spawn_as(const SpawnAs& as, std::vector<char*>& args, const std::filesystem::path& console_tty,
               const std::filesystem::path& log_file, const sigset_t& blocked) {
  UnprivilegedExec exec;
  exec.argv = args.data();
  exec.envp = environ;
  exec.stdin_is_tty = !console_tty.empty();
  exec.stdin_path = exec.stdin_is_tty ? console_tty.c_str() : "/dev/null";
  exec.log_path = log_file.c_str();
  exec.passed_fds = as.passed_fds.data();
  exec.passed_count = static_cast<int>(as.passed_fds.size());
  exec.user = as.user;
  exec.groups = as.user.groups.data();
  exec.group_count = static_cast<int>(as.user.groups.size());
  exec.blocked = blocked;
  return unprivileged_exec(exec);
}

// spawn_detached with stdin and stdout on `console_tty` when it is given.
ProcessId spawn_session(const std::vector<std::string>& argv, const std::filesystem::path& console_tty,
                        const std::filesystem::path& log_file, const SpawnAs* as) {
  if (argv.empty()) throw Error(ErrorKind::backend_failed, "empty command line");
  if (as && as->passed_fds.size() > 64) throw Error(ErrorKind::backend_failed, "too many descriptors for a VMM");
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&files);
  posix_spawnattr_init(&attr);
  if (console_tty.empty()) {
    posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  } else {
    // The file actions run after setsid(): without O_NOCTTY the tty would become the session's terminal.
    posix_spawn_file_actions_addopen(&files, STDIN_FILENO, console_tty.c_str(), O_RDWR | O_NOCTTY, 0);
    posix_spawn_file_actions_adddup2(&files, STDIN_FILENO, STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&files, STDERR_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
  }
  posix_spawn_file_actions_addclosefrom_np(&files, 3);
  sigset_t blocked, defaults;
  sigemptyset(&blocked);
  // machined's poweroff signal: pending in a blocked VMM, PoweroffRequests turns it into a graceful stop.
  sigaddset(&blocked, machined_poweroff_signal());
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // bangerd ignores it; a VMM must not inherit that
  posix_spawnattr_setsigmask(&attr, &blocked);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = -1;
  int rc;
  std::optional<std::uint64_t> start;
  {
    // Registered under the lock, so the reaper never sees the child's exit before its pid;
    // and nothing reaps it before the lock is released, so the pidfd and the start time
    // are this child's even when it has exited already (a zombie keeps its stat).
    std::lock_guard lock(children_mutex);
    if (as) {
      pid = spawn_as(*as, args, console_tty, log_file, blocked);
      rc = pid < 0 ? errno : 0;
    } else {
      rc = posix_spawn(&pid, args[0], &files, &attr, args.data(), environ);
    }
    if (rc == 0) {
      children[pid] = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
      start = process_start_time(pid);
    }
  }
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw Error(ErrorKind::backend_failed, fmt::format("cannot start {}: {}", argv[0], strerror(rc)));
  if (!start) throw Error(ErrorKind::backend_failed, fmt::format("{} exited at once", argv[0]));
  return {pid, *start};
}

}  // namespace

ProcessId spawn_detached(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                         const SpawnAs* as) {
  return spawn_session(argv, {}, log_file, as);
}

ProcessId spawn_detached_on_tty(const std::vector<std::string>& argv, const std::filesystem::path& console_tty,
                                const std::filesystem::path& log_file, const SpawnAs* as) {
  return spawn_session(argv, console_tty, log_file, as);
}

void reap_spawned_children(const std::function<void(pid_t, const siginfo_t&)>& exited) {
  std::vector<std::pair<pid_t, int>> spawned;
  {
    std::lock_guard lock(children_mutex);
    spawned.assign(children.begin(), children.end());
  }
  // Only this registration: the pid may belong to a newer spawned child by now
  // (its pidfd differs, since ours is still open).
  auto forget = [](pid_t pid, int pidfd) {
    std::lock_guard lock(children_mutex);
    auto it = children.find(pid);
    if (it == children.end() || it->second != pidfd) return;
    if (pidfd >= 0) close(pidfd);
    children.erase(it);
  };
  for (auto [pid, pidfd] : spawned) {
    siginfo_t info{};
    // Without a pidfd (pidfd_open failed) the pid alone has to do.
    int rc = pidfd >= 0 ? waitid(static_cast<idtype_t>(P_PIDFD), pidfd, &info, WEXITED | WNOHANG | WNOWAIT)
                        : waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc != 0) {
      if (errno == ECHILD) forget(pid, pidfd);  // reaped elsewhere
      continue;
    }
    if (info.si_pid == 0) continue;  // still running
    exited(pid, info);
    siginfo_t reaped{};
    if (pidfd >= 0)
      waitid(static_cast<idtype_t>(P_PIDFD), pidfd, &reaped, WEXITED | WNOHANG);
    else
      waitid(P_PID, pid, &reaped, WEXITED | WNOHANG);
    forget(pid, pidfd);
  }
}

bool is_running(const ProcessId& process) {
  if (process.pid <= 0) return false;
  auto stat = read_stat(process.pid);
  return stat && stat->state != 'Z' && stat->state != 'X' && stat->start_time == process.start_time;
}

bool wait_gone(const ProcessId& process, std::chrono::milliseconds timeout) {
  if (!is_running(process)) return true;
  // A pidfd turns readable the moment the process ends: no polling interval.
  int fd = static_cast<int>(syscall(SYS_pidfd_open, process.pid, 0));
  if (fd >= 0 && process_start_time(process.pid) == process.start_time) {
    pollfd gone{fd, POLLIN, 0};
    int ms = static_cast<int>(std::min<std::int64_t>(timeout.count(), INT32_MAX));
    while (poll(&gone, 1, ms) < 0 && errno == EINTR) {
    }
    close(fd);
    return !is_running(process);
  }
  if (fd >= 0) close(fd);
  return !is_running(process);  // gone between the two checks, or a reused pid
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
