#pragma once
#include <chrono>

#include "core/vm.h"

namespace banger {

// Sets a running guest's wall clock (after the host slept, a paused guest's
// clock is behind by the length of the sleep). Throws Error(backend_failed).
class GuestClock {
 public:
  virtual ~GuestClock() = default;
  virtual void set(const VmRecord& vm, std::chrono::system_clock::time_point now) = 0;
};

}  // namespace banger
