#pragma once
#include <map>
#include <mutex>
#include <string>

#include "core/vmm_watch.h"

namespace banger::testing {

// The VMMs VmManager asked to have watched, by VM id.
class RecordingWatch final : public VmmWatch {
 public:
  void watch(const std::string& vm_id, const VmmProcess& process) override {
    std::lock_guard lock(mutex_);
    watched_[vm_id] = process;
  }
  void unwatch(const std::string& vm_id) override {
    std::lock_guard lock(mutex_);
    watched_.erase(vm_id);
  }
  std::map<std::string, VmmProcess> watched() const {
    std::lock_guard lock(mutex_);
    return watched_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, VmmProcess> watched_;
};

}  // namespace banger::testing
