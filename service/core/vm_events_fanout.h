#pragma once
#include <initializer_list>
#include <vector>

#include "core/vm_events.h"

namespace banger {

// Hands the VmManager's events to several listeners (the bus objects, the
// stats poller …), in the order given.
class VmEventsFanout final : public VmEvents {
 public:
  VmEventsFanout(std::initializer_list<VmEvents*> listeners) : listeners_(listeners) {}
  // For listeners made after the VmManager (they need it); before it emits anything.
  void add(VmEvents& listener) { listeners_.push_back(&listener); }

  void vm_added(const VmRecord& vm) override {
    for (auto* listener : listeners_) listener->vm_added(vm);
  }
  void vm_changed(const VmRecord& before, const VmRecord& after, std::string_view reason) override {
    for (auto* listener : listeners_) listener->vm_changed(before, after, reason);
  }
  void vm_removed(const VmRecord& vm) override {
    for (auto* listener : listeners_) listener->vm_removed(vm);
  }

 private:
  std::vector<VmEvents*> listeners_;
};

}  // namespace banger
