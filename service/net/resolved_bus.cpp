#include "net/resolved_bus.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

namespace banger::net {

namespace {

constexpr const char* resolve1_name = "org.freedesktop.resolve1";
constexpr const char* resolve1_path = "/org/freedesktop/resolve1";
constexpr const char* resolve1_manager = "org.freedesktop.resolve1.Manager";
constexpr auto call_timeout = std::chrono::seconds(5);

std::unique_ptr<sdbus::IConnection> connect(const std::string& address) {
  return address.empty() ? sdbus::createSystemBusConnection() : sdbus::createSessionBusConnectionWithAddress(address);
}

// Why resolved cannot be asked on `bus`, or nullopt when it is there.
std::optional<std::string> not_on(sdbus::IConnection& bus) {
  auto dbus = sdbus::createProxy(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  bool owned = false;
  dbus->callMethod("NameHasOwner")
      .onInterface("org.freedesktop.DBus")
      .withTimeout(call_timeout)
      .withArguments(std::string(resolve1_name))
      .storeResultsTo(owned);
  if (owned) return std::nullopt;
  return fmt::format("{} is not on the system bus (systemd-resolved is not running)", resolve1_name);
}

}  // namespace

ResolvedBus::ResolvedBus(std::string bus_address) : bus_address_(std::move(bus_address)) {}

std::optional<std::string> ResolvedBus::unavailable() {
  try {
    auto bus = connect(bus_address_);
    return not_on(*bus);
  } catch (const sdbus::Error& e) {
    return fmt::format("no system bus: {}", e.getMessage());
  }
}

std::optional<std::string> ResolvedBus::register_link(const ResolvedLink& link) {
  std::array<std::uint8_t, 4> bytes{};
  if (inet_pton(AF_INET, link.dns_server.c_str(), bytes.data()) != 1)
    return fmt::format("'{}' is not an IPv4 address", link.dns_server);
  try {
    auto bus = connect(bus_address_);
    if (auto why = not_on(*bus)) return why;
    auto resolve1 = sdbus::createProxy(*bus, resolve1_name, resolve1_path);
    const std::vector<sdbus::Struct<std::int32_t, std::vector<std::uint8_t>>> servers{
        {AF_INET, std::vector<std::uint8_t>(bytes.begin(), bytes.end())}};
    resolve1->callMethod("SetLinkDNS")
        .onInterface(resolve1_manager)
        .withTimeout(call_timeout)
        .withArguments(std::int32_t{link.ifindex}, servers);
    const std::vector<sdbus::Struct<std::string, bool>> domains{{link.domain, true}};
    resolve1->callMethod("SetLinkDomains")
        .onInterface(resolve1_manager)
        .withTimeout(call_timeout)
        .withArguments(std::int32_t{link.ifindex}, domains);
    return std::nullopt;
  } catch (const sdbus::Error& e) {
    return fmt::format("cannot tell systemd-resolved: {} ({})", e.getMessage(), e.getName());
  }
}

}  // namespace banger::net
