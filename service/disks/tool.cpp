#include "disks/tool.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"

extern char** environ;

namespace banger::disks {

namespace {

// The last few lines of what the tool said, for the error message.
std::string last_lines(const std::string& output, int lines = 4) {
  std::size_t end = output.find_last_not_of("\n ");
  if (end == std::string::npos) return {};
  std::size_t start = end + 1;
  for (int n = 0; n < lines && start > 0; ++n) {
    auto nl = output.rfind('\n', start - 1);
    start = nl == std::string::npos ? 0 : nl + 1;
    if (start == 0) break;
    if (n + 1 < lines) start -= 1;
  }
  std::string text = output.substr(start, end + 1 - start);
  while (!text.empty() && text.front() == '\n') text.erase(0, 1);
  return text;
}

}  // namespace

std::string read_tool_output(int fd) {
  std::string output;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      output.append(buf, static_cast<std::size_t>(n));
      if (output.size() > 64 * 1024) output.erase(0, output.size() - 64 * 1024);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return output;
}

void fail_tool(const std::string& program, int status, const std::string& output) {
  const std::string how = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                            : fmt::format("signal {}", WTERMSIG(status));
  const std::string said = last_lines(output);
  throw Error(ErrorKind::backend_failed,
              fmt::format("{} failed ({}){}{}", program, how, said.empty() ? "" : ": ", said));
}

void run_tool(const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error(ErrorKind::internal, "run_tool: no program");
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw Error(ErrorKind::backend_failed, std::string("pipe: ") + strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  // The daemon blocks SIGCHLD and friends for its signalfds; a tool gets the defaults.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    throw Error(ErrorKind::backend_failed, fmt::format("cannot run {}: {}", argv[0], strerror(rc)));
  }
  const std::string output = read_tool_output(out[0]);
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  fail_tool(argv[0], status, output);
}

}  // namespace banger::disks
