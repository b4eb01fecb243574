#pragma once
// Waits for bus names to be owned: NameOwnerChanged wakes the waiter, which
// re-checks NameHasOwner on a second connection (the signal connection runs
// its own event loop thread; synchronous calls stay off it).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "process.h"

namespace banger::test {

class NameWatcher {
 public:
  explicit NameWatcher(const std::string& address);
  ~NameWatcher();
  NameWatcher(const NameWatcher&) = delete;
  NameWatcher& operator=(const NameWatcher&) = delete;

  bool has_owner(const std::string& name);
  // Returns once `name` has an owner; throws when `service` exits first or on timeout.
  void wait_owned(const std::string& name, Service& service, std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<sdbus::IConnection> events_, calls_;
  std::unique_ptr<sdbus::IProxy> signals_, bus_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t generation_ = 0;
};

}  // namespace banger::test
