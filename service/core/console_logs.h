#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/console_log.h"

namespace banger {

// Every VM's console log, found by VM id under <runtime>/vms/<id>/, and the
// daemon-wide cap ([daemon] console_log_max_bytes) on each.
class ConsoleLogs {
 public:
  ConsoleLogs(std::filesystem::path runtime_dir, std::uint64_t max_bytes);

  std::filesystem::path path_of(const std::string& vm_id) const;
  ConsoleChunk read(const std::string& vm_id, std::uint64_t offset, std::uint32_t max_bytes) const;
  // The log's last max_bytes (empty when there is none), for error messages.
  std::string tail(const std::string& vm_id, std::uint32_t max_bytes) const noexcept;
  // Caps each log; run from a timer while VMMs write. Never throws.
  void cap_all() noexcept;

 private:
  std::filesystem::path vms_dir_;
  std::uint64_t max_bytes_;
  std::atomic<bool> warned_unsupported_{false};
};

}  // namespace banger
