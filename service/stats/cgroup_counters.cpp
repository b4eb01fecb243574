#include "stats/cgroup_counters.h"

#include <string_view>

#include "stats/counter_files.h"

namespace banger::stats {

namespace {

// Sums "key=<n>" over the lines of io.stat ("8:0 rbytes=1 wbytes=2 rios=…").
std::uint64_t io_stat_sum(std::string_view text, std::string_view key) {
  std::uint64_t total = 0;
  for (std::size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + key.size())) {
    if (at > 0 && text[at - 1] != ' ') continue;  // "rbytes=" must not match inside another name
    total += leading_number(text.substr(at + key.size())).value_or(0);
  }
  return total;
}

}  // namespace

std::string unified_cgroup_path(const std::string& proc_cgroup_text) {
  std::string_view text = proc_cgroup_text;
  for (std::size_t at = 0; at < text.size();) {
    const auto eol = text.find('\n', at);
    const auto line = text.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
    if (line.starts_with("0::")) return std::string(line.substr(3));
    if (eol == std::string_view::npos) break;
    at = eol + 1;
  }
  return {};
}

std::optional<std::filesystem::path> vmm_cgroup(const std::filesystem::path& proc_root,
                                                const std::filesystem::path& cgroup_root, pid_t vmm_pid,
                                                pid_t daemon_pid) {
  const auto vmm_text = read_counter_file(proc_root / std::to_string(vmm_pid) / "cgroup");
  const auto daemon_text = read_counter_file(proc_root / std::to_string(daemon_pid) / "cgroup");
  if (!vmm_text) return std::nullopt;
  const std::string path = unified_cgroup_path(*vmm_text);
  if (path.empty() || path == "/" || (daemon_text && unified_cgroup_path(*daemon_text) == path)) return std::nullopt;
  auto dir = cgroup_root / std::filesystem::path(path).relative_path();
  if (!read_counter_file(dir / "cpu.stat")) return std::nullopt;
  return dir;
}

std::optional<CgroupCounters> read_cgroup_counters(const std::filesystem::path& dir) {
  const auto cpu = read_counter_file(dir / "cpu.stat");
  if (!cpu) return std::nullopt;
  CgroupCounters counters;
  counters.cpu = std::chrono::microseconds(keyed_number(*cpu, "usage_usec ").value_or(0));
  if (const auto memory = read_counter_file(dir / "memory.current"))
    counters.memory_bytes = leading_number(*memory);
  if (const auto io = read_counter_file(dir / "io.stat")) {
    counters.read_bytes = io_stat_sum(*io, "rbytes=");
    counters.write_bytes = io_stat_sum(*io, "wbytes=");
  }
  return counters;
}

}  // namespace banger::stats
