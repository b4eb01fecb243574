#pragma once
// Child processes for the bus tests: one-shot commands with captured output and
// a timeout (optionally as another user), and long-running services whose
// output goes to a log file.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace banger::test {

using namespace std::chrono_literals;

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
  bool timed_out = false;

  bool ok() const { return exit_code == 0; }
  std::string describe() const;  // for assertion messages
};

// Environment overrides on top of the current environment; an empty value
// removes the variable.
using EnvOverrides = std::map<std::string, std::string>;

struct RunOptions {
  EnvOverrides env;
  std::optional<std::string> user;  // run as this user (initgroups, setgid, setuid)
  std::chrono::milliseconds timeout = 30s;
};

RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// A long-running child. stdout and stderr are appended to `log`. When
// `address_fd` is requested, the child gets the write end of a pipe as fd 3 and
// read_line() returns the first line it writes (dbus-daemon --print-address=3).
class Service {
 public:
  Service() = default;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  ~Service();

  void start(const std::vector<std::string>& argv, const EnvOverrides& env, const std::filesystem::path& log,
             bool address_fd = false);
  std::string read_line(std::chrono::milliseconds timeout);

  pid_t pid() const { return pid_; }
  bool running();  // reaps the child if it exited
  std::optional<int> exit_status() const { return status_; }

  // Sends `sig`, waits up to `timeout` for the exit, then SIGKILLs and reaps.
  void stop(int sig = 15, std::chrono::milliseconds timeout = 10s);
  // Waits for the child to exit on its own; false on timeout.
  bool wait_exit(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int line_fd_ = -1;
  std::optional<int> status_;
};

// Every process (other than ourselves) whose command line or environment
// contains `marker`; used to find what a killed daemon left behind.
std::vector<pid_t> processes_mentioning(const std::string& marker);

}  // namespace banger::test
