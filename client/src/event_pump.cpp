#include "event_pump.h"

#include "banger/bus_names.h"

#include <sdbus-c++/Error.h>
#include <sdbus-c++/Message.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace banger::client::detail {

namespace {

int poll_timeout_ms(Clock::time_point deadline, int bus_timeout_ms) {
  using namespace std::chrono;
  const auto left = ceil<milliseconds>(deadline - Clock::now()).count();
  const int ours = static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
  return bus_timeout_ms < 0 ? ours : std::min(ours, bus_timeout_ms);
}

}  // namespace

Clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  const auto now = Clock::now();
  const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now);
  return timeout >= room ? Clock::time_point::max() : now + std::max(timeout, std::chrono::milliseconds(0));
}

bool pump_until(sdbus::IConnection& connection, Clock::time_point deadline,
                const std::function<bool()>& ready, const std::function<void()>& after_dispatch) {
  for (;;) {
    // Drain first: sd-bus may already hold messages queued while a method
    // call was waiting for its reply, and poll() would not report those.
    while (!ready() && connection.processPendingRequest())
      if (after_dispatch) after_dispatch();
    if (ready()) return true;
    if (Clock::now() >= deadline) return false;

    const auto data = connection.getEventLoopPollData();
    pollfd fd{data.fd, data.events, 0};
    if (::poll(&fd, 1, poll_timeout_ms(deadline, data.getPollTimeout())) < 0 && errno != EINTR)
      throw sdbus::createError(errno, "poll on the bus failed");
  }
}

OwnerWatch::OwnerWatch(sdbus::IConnection& connection) {
  const std::string rule = std::string(
                               "type='signal',sender='org.freedesktop.DBus',"
                               "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
                               "member='NameOwnerChanged',arg0='") +
                           bus::service_name + "'";
  slot_ = connection.addMatch(rule, [this](sdbus::Message& msg) {
    // Exceptions must not unwind through sd_bus_process(); a malformed signal
    // cannot come from dbus-daemon anyway.
    try {
      std::string name, old_owner, new_owner;
      msg >> name >> old_owner >> new_owner;
      changed_ = true;
      new_owner_ = new_owner;
    } catch (const sdbus::Error&) {
    }
  });
}

}  // namespace banger::client::detail
