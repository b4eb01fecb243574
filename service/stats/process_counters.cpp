#include "stats/process_counters.h"

#include <unistd.h>

#include <charconv>
#include <limits>
#include <string>
#include <string_view>

#include "stats/counter_files.h"

namespace banger::stats {

namespace {

const long ticks_per_second = sysconf(_SC_CLK_TCK);

std::chrono::nanoseconds ticks_to_ns(std::uint64_t ticks) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(ticks * (1'000'000'000 / ticks_per_second)));
}

}  // namespace

// comm (field 2) may hold spaces and parentheses, so splitting starts after its last ')'.
bool parse_process_stat(std::string_view stat, ProcessCounters& out) {
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos) return false;
  std::string_view rest = stat.substr(close + 1);
  std::uint64_t utime = 0, stime = 0;
  int field = 2;
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    const auto token = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    ++field;
    std::uint64_t* target = field == 14 ? &utime : field == 15 ? &stime : field == 22 ? &out.start_ticks : nullptr;
    if (target == nullptr) continue;
    if (std::from_chars(token.data(), token.data() + token.size(), *target).ec != std::errc()) return false;
    if (field == 22) {
      out.cpu = ticks_to_ns(utime + stime);
      return true;
    }
  }
  return false;
}

std::optional<ProcessCounters> read_process_counters(const std::filesystem::path& proc_root, pid_t pid) {
  const auto dir = proc_root / std::to_string(pid);
  const auto stat = read_counter_file(dir / "stat");
  ProcessCounters counters;
  if (!stat || !parse_process_stat(*stat, counters)) return std::nullopt;
  if (const auto status = read_counter_file(dir / "status"))
    counters.rss_bytes = keyed_number(*status, "VmRSS:").value_or(0) * 1024;
  if (const auto io = read_counter_file(dir / "io")) {
    counters.read_bytes = keyed_number(*io, "read_bytes:").value_or(0);
    counters.write_bytes = keyed_number(*io, "write_bytes:").value_or(0);
  }
  return counters;
}

std::optional<double> read_boot_uptime(const std::filesystem::path& proc_root) {
  const auto text = read_counter_file(proc_root / "uptime");
  if (!text) return std::nullopt;
  try {
    return std::stod(*text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::uint64_t process_uptime_s(double boot_uptime_s, std::uint64_t start_ticks) {
  const double started = static_cast<double>(start_ticks) / static_cast<double>(ticks_per_second);
  const double running = boot_uptime_s - started;
  // Not a comparison of casts: a double beyond uint64's range (an "uptime" of
  // inf or 1e30) converted to it is undefined behaviour.
  if (!(running > 0)) return 0;
  if (running >= 18446744073709551616.0) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(running);
}

}  // namespace banger::stats
