#include "concurrency_run.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace banger::test {

void SharedVms::add(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (std::find(paths_.begin(), paths_.end(), path) == paths_.end()) paths_.push_back(path);
}

void SharedVms::remove(const std::string& path) {
  std::lock_guard lock(mutex_);
  paths_.erase(std::remove(paths_.begin(), paths_.end(), path), paths_.end());
}

std::string SharedVms::pick(std::mt19937& random) {
  std::lock_guard lock(mutex_);
  if (paths_.empty()) return "";
  return paths_[random() % paths_.size()];
}

std::size_t SharedVms::size() {
  std::lock_guard lock(mutex_);
  return paths_.size();
}

void CallLog::add(CallRecord record) {
  last_ = record.end.time_since_epoch().count();
  std::lock_guard lock(mutex_);
  records_.push_back(std::move(record));
}

std::vector<CallRecord> CallLog::all() {
  std::lock_guard lock(mutex_);
  return records_;
}

Watchdog::Watchdog(const CallLog& log, pid_t daemon, std::chrono::seconds stall, std::chrono::seconds bound)
    : log_(log), daemon_(daemon), stall_(stall), bound_(bound), thread_([this] { watch(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_wake_.notify_all();
  thread_.join();
}

void Watchdog::watch() {
  std::unique_lock lock(mutex_);
  while (!stop_wake_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_; })) {
    const auto now = Clock::now();
    if (now - log_.last_completion() > stall_)
      fire("no call completed for " + std::to_string(stall_.count()) + " s");
    if (now - started_ > bound_) fire("the run exceeded its bound of " + std::to_string(bound_.count()) + " s");
  }
}

void Watchdog::fire(const std::string& why) {
  std::cerr << "WATCHDOG: " << why << "; bangerd (pid " << daemon_ << ") threads:\n";
  const std::string gdb = "timeout 60 gdb -p " + std::to_string(daemon_) +
                          " -batch -nx -ex 'thread apply all bt' 2>&1";
  bool dumped = false;
  if (access("/usr/bin/gdb", X_OK) == 0) {
    if (FILE* out = popen(gdb.c_str(), "r")) {
      char buffer[4096];
      while (std::size_t n = fread(buffer, 1, sizeof buffer, out)) std::cerr.write(buffer, static_cast<std::streamsize>(n));
      dumped = pclose(out) == 0;
    }
  }
  if (!dumped) {
    const std::filesystem::path tasks = "/proc/" + std::to_string(daemon_) + "/task";
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
      std::string comm, wchan, stack;
      std::getline(std::ifstream(task.path() / "comm"), comm);
      std::getline(std::ifstream(task.path() / "wchan"), wchan);
      std::cerr << "  task " << task.path().filename().string() << " " << comm << " wchan=" << wchan << "\n";
      std::ifstream kernel_stack(task.path() / "stack");
      while (std::getline(kernel_stack, stack)) std::cerr << "    " << stack << "\n";
    }
  }
  std::cerr << "WATCHDOG: failing the test\n" << std::flush;
  std::_Exit(1);
}

std::string implied_state(const std::string& method) {
  if (method == "Start" || method == "Restart") return "running";
  if (method == "Stop" || method == "Kill") return "stopped";
  if (method == "CreateVM" || method == "Clone") return "created";
  return "";
}

std::chrono::seconds seconds_from_env(const char* name, std::chrono::seconds fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::chrono::seconds(std::strtoul(value, nullptr, 10));
}

}  // namespace banger::test
