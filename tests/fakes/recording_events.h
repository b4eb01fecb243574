#pragma once
#include <mutex>
#include <string>
#include <vector>

#include "core/capability.h"
#include "core/snapshot.h"
#include "core/vm_events.h"

namespace banger::testing {

// Records what the domain announced, as the bus layer would receive it.
class RecordingEvents final : public VmEvents {
 public:
  struct Event {
    std::string kind;  // added | changed | removed
    VmRecord vm;
    std::string reason;
  };

  void vm_added(const VmRecord& vm) override { push({"added", vm, {}}); }
  void vm_changed(const VmRecord&, const VmRecord& after, std::string_view reason) override {
    push({"changed", after, std::string(reason)});
  }
  void vm_removed(const VmRecord& vm) override { push({"removed", vm, {}}); }

  std::vector<Event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  // The sequence of states announced for one VM, e.g. {"creating", "created", "starting"}.
  std::vector<std::string> states(const std::string& id) const {
    std::vector<std::string> out;
    for (const auto& e : events())
      if (e.vm.id == id && (out.empty() || out.back() != to_string(e.vm.state)))
        out.emplace_back(to_string(e.vm.state));
    return out;
  }

 private:
  void push(Event e) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(e));
  }
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

// Records what the domain announced of checkpoints: "added <name>", "changed <name>", "removed <name>".
class RecordingSnapshotEvents final : public SnapshotEvents {
 public:
  void snapshot_added(const SnapshotRecord& s) override { push("added " + s.name); }
  void snapshot_changed(const SnapshotRecord& s) override { push("changed " + s.name); }
  void snapshot_removed(const SnapshotRecord& s) override { push("removed " + s.name); }
  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  void push(std::string e) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(e));
  }
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

class NullProgress final : public ProgressSink {
 public:
  void report(std::string_view, double) override {}
};

}  // namespace banger::testing
