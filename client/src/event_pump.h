#pragma once
// Signal-driven waiting without an event-loop thread: the waiting thread
// dispatches the connection itself and sleeps in poll() on the bus fd, so it
// wakes exactly when a message (or the deadline) arrives.

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/TypeTraits.h>

#include <chrono>
#include <functional>
#include <string>

namespace banger::client::detail {

using Clock = std::chrono::steady_clock;

// now + timeout, saturating instead of overflowing for huge timeouts.
Clock::time_point deadline_after(std::chrono::milliseconds timeout);

// Dispatches queued and incoming messages (running their signal handlers on
// this thread) until ready() holds or deadline passes. after_dispatch runs
// after every dispatched message, outside sd-bus, so it may call methods.
// Returns ready().
bool pump_until(sdbus::IConnection& connection, Clock::time_point deadline,
                const std::function<bool()>& ready,
                const std::function<void()>& after_dispatch = {});

// Notices bangerd leaving or being replaced on the bus (NameOwnerChanged).
class OwnerWatch {
 public:
  explicit OwnerWatch(sdbus::IConnection& connection);

  bool changed() const { return changed_; }
  bool gone() const { return changed_ && new_owner_.empty(); }

 private:
  bool changed_ = false;
  std::string new_owner_;
  sdbus::Slot slot_;
};

}  // namespace banger::client::detail
