#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

namespace banger {

// A VM's serial console: the VMM appends to <runtime>/vms/<id>/console.log.
// Offsets are byte positions in that file and only ever grow while it exists,
// so a reader can follow it with next_offset. Capping frees the older part
// (punches a hole) instead of moving data, so a writer that appends meanwhile
// loses nothing and every offset stays valid.
inline constexpr const char* console_log_name = "console.log";

// One ReadConsole call returns at most this much.
inline constexpr std::uint32_t console_read_limit = 1024 * 1024;

struct ConsoleChunk {
  std::string data;
  std::uint64_t next_offset = 0;  // where the next read continues
};

// <vm runtime dir>/console.log
std::filesystem::path console_log_path(const std::filesystem::path& vm_runtime_dir);

// Throws Error(invalid_args) unless 1 <= max_bytes <= console_read_limit.
void check_console_read_size(std::uint32_t max_bytes);

// Up to max_bytes from offset. An offset that was already freed reads from the
// oldest kept byte; one past the end means the log was started anew (the VM
// was started again), so it reads from the start. A missing log reads empty.
ConsoleChunk read_console_log(const std::filesystem::path& log, std::uint64_t offset, std::uint32_t max_bytes);

// Frees all but the last max_bytes (rounded up to whole file-system blocks);
// the file keeps its size. False when the file system cannot punch holes.
// A missing log is fine.
bool cap_console_log(const std::filesystem::path& log, std::uint64_t max_bytes);

// Bytes the log occupies on disk (st_blocks), for tests and diagnostics.
std::uint64_t console_log_disk_usage(const std::filesystem::path& log);

}  // namespace banger
