#include "doctor/command_output.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace banger::doctor {

namespace {

constexpr std::size_t max_output = 4096;

// Between fork and exec only async-signal-safe calls: `args` is built before the fork.
[[noreturn]] void exec_child(char* const* args, int out) {
  // bangerd blocks SIGCHLD, SIGTERM … for its signalfds; the child gets the defaults.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  const int null = open("/dev/null", O_RDONLY);
  dup2(null, 0);
  dup2(out, 1);
  dup2(out, 2);
  execv(args[0], args);
  _exit(127);
}

}  // namespace

CommandOutput command_output(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  CommandOutput result;
  int pipe_fds[2];
  if (argv.empty() || pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.problem = argv.empty() ? "no command" : fmt::format("pipe: {}", std::strerror(errno));
    return result;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) exec_child(args.data(), pipe_fds[1]);
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    result.problem = fmt::format("fork: {}", std::strerror(errno));
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[1024];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.problem = fmt::format("no answer within {} ms", timeout.count());
      kill(pid, SIGKILL);
      break;
    }
    pollfd fd{pipe_fds[0], POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    if (fd.revents == 0) continue;
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n <= 0) break;  // EOF: the child closed its output (it exits, or its own children hold nothing)
    if (result.output.size() < max_output) result.output.append(buffer, static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (result.problem.empty() && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (result.problem.empty() && result.exit_code == 127 && result.output.empty())
    result.problem = fmt::format("cannot run {}", argv[0]);
  return result;
}

}  // namespace banger::doctor
