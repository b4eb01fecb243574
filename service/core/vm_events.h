#pragma once
#include <string_view>

#include "core/vm.h"

namespace banger {

// What the domain tells the outside world (the bus layer exports objects and
// emits signals from these). Called on worker threads, after the store commit.
class VmEvents {
 public:
  virtual ~VmEvents() = default;
  virtual void vm_added(const VmRecord& vm) = 0;
  // `reason` is non-empty for state changes ("start requested", the error …).
  virtual void vm_changed(const VmRecord& before, const VmRecord& after, std::string_view reason) = 0;
  virtual void vm_removed(const VmRecord& vm) = 0;
};

}  // namespace banger
