#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace banger::stats {

// A cgroup v2 directory's counters (cpu.stat usage_usec, memory.current,
// io.stat rbytes/wbytes summed over devices); those of a controller the
// cgroup does not have are nullopt.
struct CgroupCounters {
  std::chrono::nanoseconds cpu{0};
  std::optional<std::uint64_t> memory_bytes;
  std::optional<std::uint64_t> read_bytes;
  std::optional<std::uint64_t> write_bytes;
};

// The cgroup v2 path ("/a/b") in a /proc/<pid>/cgroup text; empty without a "0::" line.
std::string unified_cgroup_path(const std::string& proc_cgroup_text);

// The VMM's own cgroup directory under `cgroup_root` (a jailed Firecracker
// runs in one), or nullopt when it shares the daemon's cgroup (`daemon_pid`'s),
// sits in the root cgroup or its cpu.stat cannot be read: then its counters
// would not be the VMM's alone.
std::optional<std::filesystem::path> vmm_cgroup(const std::filesystem::path& proc_root,
                                                const std::filesystem::path& cgroup_root, pid_t vmm_pid,
                                                pid_t daemon_pid);

// nullopt when cpu.stat cannot be read (the cgroup is gone).
std::optional<CgroupCounters> read_cgroup_counters(const std::filesystem::path& dir);

}  // namespace banger::stats
