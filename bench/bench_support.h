#pragma once
// What both benches need: a private dbus-daemon (dbus/private-bus.conf.in) with
// a bangerd on it, timing helpers and figures.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

namespace banger::bench {

using Clock = std::chrono::steady_clock;

struct Stats {
  double median_us, mean_us, p99_us;
};
Stats stats(std::vector<double> us);

template <typename F>
double time_us(F f) {
  auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

// Polls `pred` (setup waits only, never a measured figure).
template <typename Pred>
void wait_until(Pred pred, std::chrono::seconds limit, const std::string& what);

pid_t spawn(std::vector<std::string> argv, const std::filesystem::path& log, const std::vector<std::string>& env = {});
void stop_process(pid_t pid);

// A temp dir with a private bus and bangerd (config text given) on it; torn down on destruction.
// `extra_policy`: <policy> elements added to the bus's configuration (bench-bus's bare server).
class Stack {
 public:
  Stack(const std::string& bangerd, const std::filesystem::path& source_root, const std::string& config,
        const std::string& extra_policy = "");
  ~Stack();

  const std::filesystem::path& dir() const { return dir_; }
  pid_t bus_pid() const { return bus_; }
  pid_t daemon_pid() const { return daemon_; }
  std::string address() const { return "unix:path=" + (dir_ / "bus.sock").string(); }
  sdbus::IConnection& connection() { return *connection_; }
  sdbus::IProxy& dbus() { return *dbus_; }
  sdbus::IProxy& manager() { return *manager_; }

 private:
  std::filesystem::path dir_;
  pid_t bus_ = -1, daemon_ = -1;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> dbus_, manager_;
};

std::string rss_of(pid_t pid);
double cpu_ns(pid_t pid);  // time on a CPU so far (schedstat)
// utime + stime so far from /proc/<pid>/stat, in µs; clock-tick resolution (10 ms),
// so measure batches of ≥ 0.2 s of CPU.
double cpu_stat_us(pid_t pid);
const char* verdict(bool ok);
// Pins every thread of `pid` (and the threads it makes later) to CPU `cpu`.
void pin_to_cpu(pid_t pid, int cpu);

// For bench-all (bench/bench_all.py), which gathers every bench's figures into
// one table: one line "FIGURE <key> <value> <unit> <op> <target> <title>",
// op "<=" or ">=". The human-readable lines above it stay as they were.
void figure(const std::string& key, double value, const std::string& unit, const std::string& op, double target,
            const std::string& title);
// BENCH_SHORT=1 (bench-all --short, CI's bench-short test): small counts that
// only prove the bench still runs; its figures mean nothing.
bool short_mode();
// `full` normally, `small` in short mode.
int count(int full, int small);

template <typename Pred>
void wait_until(Pred pred, std::chrono::seconds limit, const std::string& what) {
  auto deadline = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() > deadline) throw std::runtime_error("timed out waiting for " + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace banger::bench
