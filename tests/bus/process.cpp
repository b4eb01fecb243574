#include "process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace banger::test {

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// argv and envp as the char* arrays execve wants, built before fork so the
// child only makes async-signal-safe calls.
struct ExecImage {
  std::vector<std::string> args;
  std::vector<std::string> envs;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string program;

  ExecImage(const std::vector<std::string>& a, const EnvOverrides& overrides) : args(a) {
    if (args.empty()) throw std::invalid_argument("empty argv");
    std::map<std::string, std::string> merged;
    for (char** e = environ; *e; ++e) {
      std::string entry(*e);
      auto eq = entry.find('=');
      if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [k, v] : overrides) {
      if (v.empty())
        merged.erase(k);
      else
        merged[k] = v;
    }
    for (const auto& [k, v] : merged) envs.push_back(k + "=" + v);
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : envs) envp.push_back(s.data());
    envp.push_back(nullptr);
    program = resolve(args.front(), merged.count("PATH") ? merged["PATH"] : "/usr/bin:/bin");
  }

  static std::string resolve(const std::string& name, const std::string& path) {
    if (name.find('/') != std::string::npos) return name;
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return name;  // execve fails with ENOENT; the child reports 127
  }
};

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

Identity lookup_user(const std::string& user) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::array<char, 4096> buf{};
  if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
    throw std::runtime_error("no such user: " + user);
  Identity id{pw.pw_uid, pw.pw_gid, {}};
  int n = 64;
  id.groups.resize(static_cast<std::size_t>(n));
  while (getgrouplist(user.c_str(), pw.pw_gid, id.groups.data(), &n) < 0) id.groups.resize(static_cast<std::size_t>(n));
  id.groups.resize(static_cast<std::size_t>(n));
  return id;
}

// In the child after fork: only async-signal-safe calls, then exec.
[[noreturn]] void exec_child(const ExecImage& image, const Identity* identity) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setpgid(0, 0);
  if (identity) {
    if (setgroups(identity->groups.size(), identity->groups.data()) != 0 || setgid(identity->gid) != 0 ||
        setuid(identity->uid) != 0)
      _exit(126);
  }
  if (chdir("/") != 0) _exit(126);
  close_range(3, ~0U, 0);
  execve(image.program.c_str(), image.argv.data(), image.envp.data());
  _exit(127);
}

int decode_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

}  // namespace

std::string RunResult::describe() const {
  std::ostringstream s;
  s << "exit " << exit_code << (timed_out ? " (timed out)" : "") << "\n--- stdout ---\n"
    << out << "\n--- stderr ---\n"
    << err;
  return s.str();
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
  ExecImage image(argv, options.env);
  std::optional<Identity> identity;
  if (options.user) identity = lookup_user(*options.user);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]);
  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));

  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    dup2(null_in.fd, 0);
    dup2(out_w.fd, 1);
    dup2(err_w.fd, 2);
    exec_child(image, identity ? &*identity : nullptr);
  }
  out_w.reset();
  err_w.reset();

  RunResult result;
  auto deadline = Clock::now() + options.timeout;
  std::array<pollfd, 2> fds{{{out_r.fd, POLLIN, 0}, {err_r.fd, POLLIN, 0}}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    int r = poll(fds.data(), fds.size(), static_cast<int>(left));
    if (r < 0 && errno != EINTR) throw_errno("poll");
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = result.timed_out ? -1 : decode_status(status);
  return result;
}

Service::~Service() {
  if (pid_ > 0 && !status_) stop(SIGKILL, 5s);
  if (pidfd_ >= 0) ::close(pidfd_);
  if (line_fd_ >= 0) ::close(line_fd_);
}

void Service::start(const std::vector<std::string>& argv, const EnvOverrides& env, const std::filesystem::path& log,
                    bool address_fd) {
  if (pid_ > 0 && !status_) throw std::logic_error("service already running: " + argv.front());
  if (pidfd_ >= 0) ::close(pidfd_);
  if (line_fd_ >= 0) ::close(line_fd_);
  pidfd_ = line_fd_ = -1;
  status_.reset();

  ExecImage image(argv, env);
  Fd log_fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log_fd.fd < 0) throw_errno("open " + log.string());
  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int line_pipe[2] = {-1, -1};
  if (address_fd && pipe2(line_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  Fd line_r(line_pipe[0]), line_w(line_pipe[1]);

  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    dup2(null_in.fd, 0);
    dup2(log_fd.fd, 1);
    dup2(log_fd.fd, 2);
    if (line_w.fd == 3)
      fcntl(3, F_SETFD, 0);
    else if (line_w.fd >= 0)
      dup2(line_w.fd, 3);  // dup2 clears FD_CLOEXEC on fd 3
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Services stay in the test's process group: when meson kills a hung test
    // (its whole group), dbus-daemon, polkitd and bangerd go with it.
    close_range(line_w.fd >= 0 ? 4 : 3, ~0U, 0);
    execve(image.program.c_str(), image.argv.data(), image.envp.data());
    _exit(127);
  }
  pid_ = pid;
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  line_fd_ = line_r.fd;
  line_r.fd = -1;
}

std::string Service::read_line(std::chrono::milliseconds timeout) {
  if (line_fd_ < 0) throw std::logic_error("service has no address fd");
  std::string line;
  auto deadline = Clock::now() + timeout;
  while (line.empty() || line.back() != '\n') {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{line_fd_, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) == 0)
      throw std::runtime_error("timed out waiting for a line from pid " + std::to_string(pid_));
    char c;
    ssize_t n = ::read(line_fd_, &c, 1);
    if (n == 0) throw std::runtime_error("pid " + std::to_string(pid_) + " closed its address fd");
    if (n > 0) line.push_back(c);
  }
  line.pop_back();
  return line;
}

bool Service::running() {
  if (pid_ <= 0 || status_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

bool Service::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0 || status_) return true;
  auto deadline = Clock::now() + timeout;
  while (running()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left));
    } else {
      // No pidfd (old kernel): poll the child's status in short slices.
      poll(nullptr, 0, static_cast<int>(std::min<long>(left, 20)));
    }
  }
  return true;
}

void Service::stop(int sig, std::chrono::milliseconds timeout) {
  if (!running()) return;
  kill(pid_, sig);
  if (wait_exit(timeout)) return;
  kill(pid_, SIGKILL);
  wait_exit(10s);
}

std::vector<pid_t> processes_mentioning(const std::string& marker) {
  std::vector<pid_t> found;
  pid_t self = getpid();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == self) continue;
    bool mentions = false;
    for (const char* file : {"cmdline", "environ"}) {
      std::ifstream in(entry.path() / file, std::ios::binary);
      std::string text;
      try {
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      } catch (const std::ios_base::failure&) {
        // Gone between open and read (ESRCH, thrown from underflow).
      }
      mentions = mentions || text.find(marker) != std::string::npos;
    }
    // Open files too (a detached VMM's log), in case it was given a clean environment.
    try {
      for (const auto& fd : std::filesystem::directory_iterator(entry.path() / "fd")) {
        if (mentions) break;
        auto target = std::filesystem::read_symlink(fd.path(), ec);
        mentions = !ec && target.string().find(marker) != std::string::npos;
      }
    } catch (const std::filesystem::filesystem_error&) {
      // the process exited meanwhile
    }
    if (mentions) found.push_back(pid);
  }
  return found;
}

}  // namespace banger::test
