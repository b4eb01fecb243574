// sdbus-c++ 1.2 has no API for the ALLOW_INTERACTIVE_AUTHORIZATION header
// flag, and IConnection does not expose its sd_bus*. A MethodCall does hold its
// sd_bus_message* in the protected member Message::msg_, and naming that member
// through a derived class is legal C++, so we borrow one never-sent method call
// to reach the bus and set the flag once: sd-bus then sets it on every method
// call created on that bus afterwards. Without it, polkit answers
// InteractiveAuthorizationRequired instead of asking the user.
#include "interactive_auth.h"

#include "banger/bus_names.h"

#include <sdbus-c++/Error.h>
#include <sdbus-c++/IProxy.h>
#include <sdbus-c++/Message.h>

#include <systemd/sd-bus.h>

#include <chrono>

namespace banger::client::detail {

namespace {

struct RawMessage : sdbus::Message {
  static sd_bus_message* of(const sdbus::Message& m) {
    return static_cast<sd_bus_message*>(m.*(&RawMessage::msg_));
  }
};

// polkit's agent waits for a human; the default 25 s would cut them off.
constexpr auto interactive_call_timeout = std::chrono::minutes(5);

}  // namespace

void allow_interactive_authorization(sdbus::IConnection& connection) {
  auto proxy = sdbus::createProxy(connection, bus::service_name, bus::root_path);
  const auto probe = proxy->createMethodCall(bus::manager_interface, "GetVM");
  sd_bus* bus = sd_bus_message_get_bus(RawMessage::of(probe));
  if (bus == nullptr) throw sdbus::Error("org.freedesktop.DBus.Error.Failed", "method call has no bus");
  if (const int r = sd_bus_set_allow_interactive_authorization(bus, 1); r < 0)
    throw sdbus::createError(-r, "cannot allow interactive authorization");
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(interactive_call_timeout);
  if (const int r = sd_bus_set_method_call_timeout(bus, static_cast<uint64_t>(usec.count())); r < 0)
    throw sdbus::createError(-r, "cannot set the method call timeout");
}

}  // namespace banger::client::detail
