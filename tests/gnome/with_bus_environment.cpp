// with-bus-environment COMMAND [ARG…]: runs COMMAND against the bus tests'
// private system bus (tests/bus/bus_environment.h: dbus-daemon with banger's
// policy, a real polkitd, bangerd-test with the stand-in VMM), so that clients
// written in other languages (gjs, python3-gi, gnome-shell) are tested against
// the real daemon with the same harness as the C++ bus tests.
//
// COMMAND gets DBUS_SYSTEM_BUS_ADDRESS (the private bus) and BANGER_TEST_DIR
// (the environment's temp dir: run/vms/<id>/handles.json names a running VM's
// stand-in VMM; the faults file is there). Its stdio is ours, so its output
// shows in meson's log as it comes.
//
// Exit status: COMMAND's (77, meson's skip, passes through); 77 when the
// environment cannot run here (not root, not started by meson); 1 when it does
// not come up. A SIGTERM or SIGINT (meson's timeout) is passed on to COMMAND, so
// the environment is still torn down.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "bus_environment.h"

namespace {

volatile sig_atomic_t child_pid = 0;

void pass_on(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

int run_command(char** argv, const banger::test::BusEnvironment& env) {
  struct sigaction action {};
  action.sa_handler = pass_on;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    std::cerr << "fork: " << std::strerror(errno) << "\n";
    return 1;
  }
  if (pid == 0) {
    setenv("DBUS_SYSTEM_BUS_ADDRESS", env.address().c_str(), 1);
    setenv("BANGER_TEST_DIR", env.dir().c_str(), 1);
    execvp(argv[0], argv);
    std::cerr << argv[0] << ": " << std::strerror(errno) << "\n";
    _exit(127);
  }
  child_pid = pid;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  child_pid = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::cerr << argv[0] << " was killed by signal " << WTERMSIG(status) << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: with-bus-environment COMMAND [ARG…]\n";
    return 2;
  }
  if (auto skip = banger::test::BusEnvironment::skip_reason(); !skip.empty()) {
    std::cout << "SKIP: " << skip << "\n";
    return 77;
  }
  banger::test::BusEnvironment env;
  try {
    env.start();
  } catch (const std::exception& e) {
    std::cerr << "bus environment did not come up: " << e.what() << "\n" << env.logs();
    return 1;
  }
  const int status = run_command(argv + 1, env);
  if (status != 0 && status != 77) std::cerr << "bus environment logs (" << env.dir() << "):\n" << env.logs();
  return status;
}
