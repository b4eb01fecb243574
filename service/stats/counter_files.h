#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace banger::stats {

// The whole of a small /proc, /sys or cgroup file (up to 16 KiB), read with
// one open and read: the poller reads hundreds of these per round.
// nullopt when it cannot be read (the process or device is gone).
std::optional<std::string> read_counter_file(const std::filesystem::path& path);

// The unsigned number that follows `key` at the start of a line ("VmRSS:",
// "read_bytes:", "usage_usec "), skipping blanks; nullopt when absent.
std::optional<std::uint64_t> keyed_number(std::string_view text, std::string_view key);

// The unsigned number at the start of `text` (after blanks); nullopt when none.
std::optional<std::uint64_t> leading_number(std::string_view text);

}  // namespace banger::stats
