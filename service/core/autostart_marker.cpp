#include "core/autostart_marker.h"

#include <system_error>

#include "core/atomic_file.h"
#include "core/log.h"

namespace banger {

void AutostartMarker::load(const std::vector<VmRecord>& vms) {
  std::lock_guard lock(mutex_);
  vms_.clear();
  for (const auto& vm : vms)
    if (vm.autostart) vms_[vm.id] = vm.name;
  loaded_ = true;
  write_locked();
}

void AutostartMarker::follow(const VmRecord& vm, bool autostart) {
  std::lock_guard lock(mutex_);
  if (!loaded_) return;
  auto it = vms_.find(vm.id);
  if (autostart) {
    if (it != vms_.end() && it->second == vm.name) return;
    vms_[vm.id] = vm.name;  // new, or renamed: the list shows names
  } else {
    if (it == vms_.end()) return;
    vms_.erase(it);
  }
  write_locked();
}

void AutostartMarker::write_locked() {
  try {
    if (vms_.empty()) {
      std::error_code ignored;  // gone already is fine
      std::filesystem::remove(file_, ignored);
      return;
    }
    std::string content;
    for (const auto& [id, name] : vms_) content += id + " " + name + "\n";
    // Readable by all: it names no secret, and the unit's condition is checked as root anyway.
    write_file_atomically(file_, content, 0644);
  } catch (const std::exception& e) {
    log::error("autostart marker {}: {}", file_.string(), e.what());
  }
}

}  // namespace banger
