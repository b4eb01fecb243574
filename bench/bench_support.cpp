#include "bench_support.h"

#include <cstdlib>
#include <iostream>

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <numeric>
#include <sstream>

#include <fmt/format.h>

namespace banger::bench {

namespace fs = std::filesystem;

Stats stats(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  double mean = std::accumulate(us.begin(), us.end(), 0.0) / static_cast<double>(us.size());
  return {us[us.size() / 2], mean, us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

pid_t spawn(std::vector<std::string> argv, const fs::path& log, const std::vector<std::string>& env) {
  pid_t pid = fork();
  if (pid == 0) {
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    FILE* out = std::fopen(log.c_str(), "w");
    if (out) {
      dup2(fileno(out), 1);
      dup2(fileno(out), 2);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

void stop_process(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

Stack::Stack(const std::string& bangerd, const fs::path& source_root, const std::string& config,
             const std::string& extra_policy)
    : dir_(fs::temp_directory_path() / fmt::format("banger-bench-{}", getpid())) {
  fs::create_directories(dir_);
  std::stringstream text;
  text << std::ifstream(source_root / "dbus/private-bus.conf.in").rdbuf();
  std::string conf = text.str();
  auto fill = [&conf](const std::string& key, const std::string& value) {
    for (auto at = conf.find(key); at != std::string::npos; at = conf.find(key, at + value.size()))
      conf.replace(at, key.size(), value);
  };
  fill("@SOCKET@", (dir_ / "bus.sock").string());
  fill("@POLICY@", (source_root / "dbus/dev.banger.banger1.conf").string());
  conf.insert(conf.rfind("</busconfig>"), extra_policy);
  std::ofstream(dir_ / "bus.conf") << conf;
  std::ofstream(dir_ / "bangerd.toml") << config;

  bus_ = spawn({"/usr/bin/dbus-daemon", "--config-file=" + (dir_ / "bus.conf").string(), "--nofork", "--nopidfile"},
               dir_ / "dbus.log");
  wait_until([&] { return fs::exists(dir_ / "bus.sock"); }, std::chrono::seconds(10), "dbus-daemon");
  std::string address = this->address();
  daemon_ = spawn({bangerd, "--config", (dir_ / "bangerd.toml").string(), "--state-dir", (dir_ / "state").string(),
                   "--runtime-dir", (dir_ / "run").string()},
                  dir_ / "bangerd.log", {"DBUS_SYSTEM_BUS_ADDRESS=" + address});
  connection_ = sdbus::createSessionBusConnectionWithAddress(address);
  dbus_ = sdbus::createProxy(*connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  manager_ = sdbus::createProxy(*connection_, "dev.banger.banger1", "/dev/banger/banger1");
  wait_until(
      [&] {
        bool has = false;
        dbus_->callMethod("NameHasOwner")
            .onInterface("org.freedesktop.DBus")
            .withArguments(std::string("dev.banger.banger1"))
            .storeResultsTo(has);
        return has;
      },
      std::chrono::seconds(20), "bangerd");
}

Stack::~Stack() {
  manager_.reset();
  dbus_.reset();
  connection_.reset();
  stop_process(daemon_);
  stop_process(bus_);
  if (!std::getenv("BENCH_KEEP")) fs::remove_all(dir_);
}

std::string rss_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return line.substr(6);
  return "?";
}

double cpu_ns(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/schedstat", pid));
  double ns = 0;
  in >> ns;
  return ns;
}

double cpu_stat_us(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after "(comm)", which may hold spaces: state is field 3, utime 14, stime 15.
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int n = 3; n <= 15 && rest >> field; ++n) {
    if (n == 14) utime = std::stod(field);
    if (n == 15) stime = std::stod(field);
  }
  return (utime + stime) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void pin_to_cpu(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  for (const auto& task : fs::directory_iterator(fmt::format("/proc/{}/task", pid)))
    if (sched_setaffinity(std::stoi(task.path().filename().string()), sizeof set, &set) != 0)
      throw std::runtime_error(fmt::format("cannot pin {} to CPU {}", pid, cpu));
}

const char* verdict(bool ok) { return ok ? "ok" : "MISSED"; }

void figure(const std::string& key, double value, const std::string& unit, const std::string& op, double target,
            const std::string& title) {
  std::cout << fmt::format("FIGURE {} {:.6g} {} {} {:g} {}\n", key, value, unit, op, target, title) << std::flush;
}

bool short_mode() {
  const char* value = std::getenv("BENCH_SHORT");
  return value && std::string(value) == "1";
}

int count(int full, int small) { return short_mode() ? small : full; }

}  // namespace banger::bench
