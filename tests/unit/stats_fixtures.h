#pragma once
// A /proc-, /sys- and cgroup-like tree in a temporary directory, for the
// stats readers and the poller.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

namespace banger::testing {

class StatsTree {
 public:
  StatsTree() {
    char pattern[] = "/tmp/banger-stats-XXXXXX";
    root_ = ::mkdtemp(pattern);
  }
  ~StatsTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  StatsTree(const StatsTree&) = delete;
  StatsTree& operator=(const StatsTree&) = delete;

  std::filesystem::path proc() const { return root_ / "proc"; }
  std::filesystem::path sys() const { return root_ / "sys"; }
  std::filesystem::path cgroup() const { return root_ / "cgroup"; }

  void write(const std::filesystem::path& path, const std::string& text) const {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  // A /proc/<pid>/stat line with the given utime, stime (ticks) and start time (ticks after boot).
  void process(pid_t pid, std::uint64_t utime, std::uint64_t stime, std::uint64_t start, std::uint64_t rss_kib,
               std::uint64_t read_bytes, std::uint64_t write_bytes, const std::string& cgroup = "/") const {
    const auto dir = proc() / std::to_string(pid);
    // comm with a space and a ')' as QEMU's thread names may have.
    write(dir / "stat", fmt::format("{} (qemu sys) x) S 1 {} {} 0 -1 4194560 100 0 0 0 {} {} 0 0 20 0 3 0 {} "
                                    "1000000 250 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n",
                                    pid, pid, pid, utime, stime, start));
    write(dir / "status", fmt::format("Name:\tqemu\nVmPeak:\t  900000 kB\nVmRSS:\t  {} kB\nThreads:\t3\n", rss_kib));
    write(dir / "io", fmt::format("rchar: 999\nwchar: 888\nsyscr: 1\nsyscw: 2\nread_bytes: {}\nwrite_bytes: {}\n"
                                  "cancelled_write_bytes: 0\n",
                                  read_bytes, write_bytes));
    write(dir / "cgroup", "0::" + cgroup + "\n");
  }
  void uptime(double seconds) const { write(proc() / "uptime", fmt::format("{:.2f} 1234.00\n", seconds)); }
  void tap(const std::string& name, std::uint64_t host_rx, std::uint64_t host_tx) const {
    const auto dir = sys() / "class" / "net" / name / "statistics";
    write(dir / "rx_bytes", fmt::format("{}\n", host_rx));
    write(dir / "tx_bytes", fmt::format("{}\n", host_tx));
  }
  void cgroup_counters(const std::string& path, std::uint64_t usage_usec, std::uint64_t memory,
                       const std::string& io_stat) const {
    const auto dir = cgroup() / std::filesystem::path(path).relative_path();
    write(dir / "cpu.stat", fmt::format("usage_usec {}\nuser_usec 1\nsystem_usec 2\n", usage_usec));
    write(dir / "memory.current", fmt::format("{}\n", memory));
    write(dir / "io.stat", io_stat);
  }

 private:
  std::filesystem::path root_;
};

inline std::uint64_t ticks_per_second() { return static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK)); }

}  // namespace banger::testing
