#include "core/console_logs.h"

#include "core/log.h"

namespace banger {

namespace fs = std::filesystem;

ConsoleLogs::ConsoleLogs(fs::path runtime_dir, std::uint64_t max_bytes)
    : vms_dir_(std::move(runtime_dir) / "vms"), max_bytes_(max_bytes) {}

fs::path ConsoleLogs::path_of(const std::string& vm_id) const { return console_log_path(vms_dir_ / vm_id); }

ConsoleChunk ConsoleLogs::read(const std::string& vm_id, std::uint64_t offset, std::uint32_t max_bytes) const {
  return read_console_log(path_of(vm_id), offset, max_bytes);
}

std::string ConsoleLogs::tail(const std::string& vm_id, std::uint32_t max_bytes) const noexcept {
  std::error_code ec;
  const auto size = fs::file_size(path_of(vm_id), ec);
  if (ec) return {};
  try {
    return read(vm_id, size > max_bytes ? size - max_bytes : 0, max_bytes).data;
  } catch (const std::exception&) {
    return {};
  }
}

void ConsoleLogs::cap_all() noexcept {
  std::error_code ec;
  for (fs::directory_iterator it(vms_dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path log = console_log_path(it->path());
    try {
      if (!cap_console_log(log, max_bytes_) && !warned_unsupported_.exchange(true))
        log::warn("{}: the file system cannot punch holes; console logs are not capped", log.string());
    } catch (const std::exception& e) {
      log::warn("capping {}: {}", log.string(), e.what());
    }
  }
}

}  // namespace banger
