#include "core/handles_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<VmmProcess> vmm_process_of(const std::string& handles) {
  auto j = json::parse(handles, nullptr, false);
  if (!j.is_object() || !j.contains("pid") || !j.contains("start_time")) return std::nullopt;
  try {
    VmmProcess p{j.at("pid").get<pid_t>(), j.at("start_time").get<std::uint64_t>()};
    if (p.pid <= 0) return std::nullopt;
    return p;
  } catch (const json::exception&) {
    return std::nullopt;
  }
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
  auto j = json::parse(text.str(), nullptr, false);
  if (!j.is_object() || !j.contains("handles") || !j["handles"].is_object()) {
    log::warn("ignoring unreadable {}", file(vm_id).string());
    return {};
  }
  return cache_[vm_id] = j["handles"].dump();
}

void HandlesFiles::erase(const std::string& vm_id) noexcept {
  std::error_code ignored;
  fs::remove(file(vm_id), ignored);
  std::lock_guard lock(mutex_);
  cache_.erase(vm_id);
}

}  // namespace banger
