#pragma once
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/vm_events.h"

namespace banger {

// The file that tells the host, before bangerd runs, that some VM has
// autostart: banger-autostart.service starts bangerd at boot only while it
// exists (ConditionPathExists), so a host without such VMs never starts it.
// It exists iff some VM has autostart and lists them, "<id> <name>" a line,
// for the administrator; it is rewritten atomically (temp + rename) whenever
// that list changes and removed when it empties.
//
// Follows the VMs through VmEvents (called on worker threads, after the store
// commit); events before load() are ignored, since the list is not known yet.
class AutostartMarker final : public VmEvents {
 public:
  explicit AutostartMarker(std::filesystem::path file) : file_(std::move(file)) {}

  // Takes the VMs as the store has them (at start-up, after recovery) and
  // writes or removes the file to match, whatever an earlier run left.
  void load(const std::vector<VmRecord>& vms);

  void vm_added(const VmRecord& vm) override { follow(vm, vm.autostart); }
  void vm_changed(const VmRecord&, const VmRecord& after, std::string_view) override { follow(after, after.autostart); }
  void vm_removed(const VmRecord& vm) override { follow(vm, false); }

  const std::filesystem::path& file() const { return file_; }

 private:
  void follow(const VmRecord& vm, bool autostart);
  void write_locked();  // logs a failure: a VM's change must not fail because of it

  const std::filesystem::path file_;
  std::mutex mutex_;
  bool loaded_ = false;
  std::map<std::string, std::string> vms_;  // id → name of the VMs with autostart
};

}  // namespace banger
