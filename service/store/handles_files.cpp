#include "store/handles_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "store/json_numbers.h"
#include "core/log.h"

namespace banger {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<VmmProcess> vmm_process_of(const std::string& handles) {
  auto j = json::parse(handles, nullptr, false);
  if (!j.is_object() || !j.contains("pid") || !j.contains("start_time")) return std::nullopt;
  auto pid = json_integer<pid_t>(j["pid"]);
  auto start_time = json_integer<std::uint64_t>(j["start_time"]);
  if (!pid || !start_time || *pid <= 0) return std::nullopt;
  return VmmProcess{*pid, *start_time};
}

std::optional<std::string> handles_in_file(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto handles = j.find("handles");
  if (handles == j.end() || !handles->is_object()) return std::nullopt;
  return handles->dump();
}

HandlesFiles::HandlesFiles(fs::path runtime_dir) : runtime_dir_(std::move(runtime_dir)) {}

fs::path HandlesFiles::file(const std::string& vm_id) const { return runtime_dir_ / "vms" / vm_id / "handles.json"; }

void HandlesFiles::put(const std::string& vm_id, const std::string& backend, const std::string& handles) {
  auto parsed = json::parse(handles, nullptr, false);
  if (!parsed.is_object()) throw Error(ErrorKind::backend_failed, fmt::format("{}: handles are not a JSON object", backend));
  const std::string text = json{{"backend", backend}, {"handles", parsed}}.dump(2) + "\n";
  const fs::path target = file(vm_id);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  write_file_atomically(target, text);
  std::lock_guard lock(mutex_);
  cache_[vm_id] = handles;
}

std::string HandlesFiles::get(const std::string& vm_id) {
  std::lock_guard lock(mutex_);
  if (auto hit = cache_.find(vm_id); hit != cache_.end()) return hit->second;
  std::ifstream in(file(vm_id));
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  auto handles = handles_in_file(text.str());
  if (!handles) {
    log::warn("ignoring unreadable {}", file(vm_id).string());
    return {};
  }
  return cache_[vm_id] = *handles;
}

void HandlesFiles::erase(const std::string& vm_id) noexcept {
  std::error_code ignored;
  fs::remove(file(vm_id), ignored);
  std::lock_guard lock(mutex_);
  cache_.erase(vm_id);
}

}  // namespace banger
