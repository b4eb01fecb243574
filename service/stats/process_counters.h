#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace banger::stats {

// One process's counters from <proc_root>/<pid>/{stat,status,io}.
struct ProcessCounters {
  std::chrono::nanoseconds cpu{0};  // utime + stime
  std::uint64_t start_ticks = 0;    // stat field 22: clock ticks after boot
  std::uint64_t rss_bytes = 0;      // status VmRSS
  std::uint64_t read_bytes = 0;     // io read_bytes: what it made storage read
  std::uint64_t write_bytes = 0;    // io write_bytes
};

// /proc/<pid>/stat's text: utime + stime (fields 14, 15) and start_ticks
// (field 22) into `out`; false when a field is missing or not a number.
bool parse_process_stat(std::string_view stat, ProcessCounters& out);

// nullopt when the process is gone (or its stat unreadable); a missing status
// or io (no permission) leaves those counters at zero.
std::optional<ProcessCounters> read_process_counters(const std::filesystem::path& proc_root, pid_t pid);

// Seconds since boot (<proc_root>/uptime), nullopt when unreadable.
std::optional<double> read_boot_uptime(const std::filesystem::path& proc_root);

// Whole seconds a process started `start_ticks` after boot has been running.
std::uint64_t process_uptime_s(double boot_uptime_s, std::uint64_t start_ticks);

}  // namespace banger::stats
