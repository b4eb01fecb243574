#pragma once
#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

namespace banger::host {

// A system service bangerd talks to now and then (machined, logind): a
// connection per call, as net/resolved_bus.h does, so these calls never touch
// the bus thread's connection and a restarted bus never leaves a dead one
// behind. Asks before calling whether the service runs or is installed for
// activation: systemd-machined, for one, is started by the bus on its first
// call (Debian ships it that way), while a host without it must get a clear
// "not running" instead of a call that waits for an activation that cannot come.
inline constexpr auto peer_call_timeout = std::chrono::seconds(5);

inline std::unique_ptr<sdbus::IConnection> system_bus() { return sdbus::createSystemBusConnection(); }

// Why `name` cannot be asked (no system bus, nobody owns it and the bus cannot
// start it), or nullopt.
inline std::optional<std::string> not_served(sdbus::IConnection& bus, const std::string& name,
                                             const std::string& who) {
  auto dbus = sdbus::createProxy(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  bool owned = false;
  dbus->callMethod("NameHasOwner")
      .onInterface("org.freedesktop.DBus")
      .withTimeout(peer_call_timeout)
      .withArguments(name)
      .storeResultsTo(owned);
  if (owned) return std::nullopt;
  std::vector<std::string> activatable;
  dbus->callMethod("ListActivatableNames")
      .onInterface("org.freedesktop.DBus")
      .withTimeout(peer_call_timeout)
      .storeResultsTo(activatable);
  if (std::find(activatable.begin(), activatable.end(), name) != activatable.end()) return std::nullopt;
  return name + " is not on the system bus (" + who + " is neither running nor installed for activation)";
}

inline std::string unavailable(const std::string& name, const std::string& who) {
  try {
    auto bus = system_bus();
    return not_served(*bus, name, who).value_or("");
  } catch (const sdbus::Error& e) {
    return "no system bus: " + e.getMessage();
  }
}

}  // namespace banger::host
