#pragma once
// A private system bus for the bus tests: dbus-daemon with the project's bus
// policy, a real polkitd with the project's actions and rules (plus a test-only
// rule), and bangerd-test with the "test" VMM backend. Needs root: it installs
// polkit files into /usr/share/polkit-1 and /etc/polkit-1 under names unique to
// this environment (see housekeeping.h; removed at teardown, or by the next run
// if this one is killed) and creates the test users banger-op (group banger),
// banger-alice, banger-bob and banger-eve when missing.
//
// Inputs, from the environment meson's test() sets:
//   BANGER_BANGERD      bangerd-test binary
//   BANGER_BANGERCTL    bangerctl binary
//   BANGER_BUS_PROBE    bus-probe helper (tests/bus/bus_probe.cpp)
//   BANGER_SOURCE_ROOT  source tree (dbus/, polkit/, tests/bus/data/)
// Optional: BANGER_BUS_DAEMON_CONFIG, bangerd's config ("@TEST_DIR@" in it
// stands for the environment's temp dir; default: the "test" backend).
// Optional: BANGER_TEST_KEEP=1 keeps the temp dir; logs of a failed suite are
// printed at teardown.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.h"

namespace banger::test {

inline constexpr const char* test_users[] = {"banger-op", "banger-alice", "banger-bob", "banger-eve"};

class NameWatcher;

class BusEnvironment {
 public:
  // Why the bus tests cannot run here ("" when they can).
  static std::string skip_reason();

  BusEnvironment();
  BusEnvironment(const BusEnvironment&) = delete;
  BusEnvironment& operator=(const BusEnvironment&) = delete;
  ~BusEnvironment();  // teardown: bangerd, polkitd, dbus-daemon, polkit files, temp dir

  void start();  // throws with a description when a piece does not come up

  const std::string& address() const { return address_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& bangerctl() const { return bangerctl_; }
  const std::string& probe() const { return probe_; }

  void start_daemon();    // and wait for dev.banger.banger1
  void stop_daemon();     // SIGTERM and wait for the exit
  void restart_daemon();  // stop_daemon + start_daemon
  void kill_daemon();     // SIGKILL and reap
  pid_t daemon_pid() const { return daemon_.pid(); }

  // Replaces the faults file (one fault per line; empty = no faults).
  void set_faults(const std::vector<std::string>& lines);

  // Crash tests (tests/crash/): extra environment for every later start_daemon
  // (BANGER_FAULT_KILL_AT), and the wait for a daemon that kills itself at a
  // fault point: its wait status once it is gone and the bus dropped its name,
  // nullopt when it still runs after `timeout`.
  void set_daemon_env(EnvOverrides env) { daemon_env_ = std::move(env); }
  std::optional<int> wait_daemon_exit(std::chrono::milliseconds timeout);

  // Runs argv as `user` (initgroups, setgid, setuid) with DBUS_SYSTEM_BUS_ADDRESS
  // pointing at the private bus; as root when user is empty.
  RunResult run_as(const std::string& user, const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout = 60s, const EnvOverrides& extra_env = {});
  // busctl --address=<bus> <args…>, as `user` (root when empty).
  RunResult busctl(const std::string& user, const std::vector<std::string>& args);
  // busctl --address=<bus> <args…> started by root through `setpriv <ids…>`, e.g.
  // {"--euid", "1001"}: a caller whose real and effective uids differ.
  RunResult busctl_with_ids(const std::vector<std::string>& ids, const std::vector<std::string>& args);
  // bus-probe <args…>, as `user`; see bus_probe.cpp for its output format.
  RunResult probe_as(const std::string& user, const std::vector<std::string>& args);

  static uid_t uid_of(const std::string& user);
  std::string logs() const;  // tails of every service log, for failure messages

 private:
  void ensure_users();
  void remove_polkit_files();
  void write_bus_config();
  void write_daemon_config();
  void kill_leftover_vms();

  std::filesystem::path source_root_;
  std::string bangerd_, bangerctl_, probe_;
  std::filesystem::path dir_;
  std::string address_;
  Service dbus_, polkitd_, daemon_;
  std::unique_ptr<NameWatcher> watcher_;
  std::vector<std::filesystem::path> installed_;  // polkit files to remove at teardown
  EnvOverrides daemon_env_;  // set_daemon_env
};

// Base fixture: one BusEnvironment per test suite. Tests skip when not root.
class BusTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

 protected:
  void SetUp() override;
  static BusEnvironment& env() { return *env_; }

 private:
  static inline std::unique_ptr<BusEnvironment> env_;
  static inline std::string skip_;
  static inline std::string setup_error_;
};

}  // namespace banger::test
