#include "doctor/polkit_check.h"

#include <systemd/sd-bus.h>

#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace banger::doctor {

namespace {

constexpr const char* polkit_name = "org.freedesktop.PolicyKit1";

struct BusDeleter {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
using Bus = std::unique_ptr<sd_bus, BusDeleter>;

// The connection, or why there is none.
Bus open_bus(const std::string& address, std::string& problem) {
  sd_bus* bus = nullptr;
  int r = 0;
  if (address.empty()) {
    r = sd_bus_open_system(&bus);
  } else if ((r = sd_bus_new(&bus)) >= 0) {
    if ((r = sd_bus_set_address(bus, address.c_str())) >= 0 && (r = sd_bus_set_bus_client(bus, 1)) >= 0)
      r = sd_bus_start(bus);
  }
  if (r < 0) {
    problem = fmt::format("cannot connect to the bus: {}", std::strerror(-r));
    sd_bus_unref(bus);
    return nullptr;
  }
  return Bus(bus);
}

}  // namespace

DoctorCheck polkit_check(const std::string& bus_address, std::chrono::milliseconds timeout) {
  const std::string fix = "start polkitd (apt-get install polkitd) on bangerd's bus";
  std::string problem;
  auto bus = open_bus(bus_address, problem);
  if (!bus) return {"polkit", "fail", "polkit is not reachable: every change is refused", problem, fix};
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  const auto usec = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count());
  sd_bus_message* call = nullptr;
  int r = sd_bus_message_new_method_call(bus.get(), &call, polkit_name, "/org/freedesktop/PolicyKit1/Authority",
                                         "org.freedesktop.DBus.Peer", "Ping");
  if (r >= 0) r = sd_bus_call(bus.get(), call, usec, &error, &reply);
  sd_bus_message_unref(call);
  sd_bus_message_unref(reply);
  if (r >= 0) {
    sd_bus_error_free(&error);
    return {"polkit", "ok", "polkit answers on bangerd's bus", polkit_name, ""};
  }
  problem = error.name ? fmt::format("{}: {}", error.name, error.message ? error.message : "")
                       : std::string(std::strerror(-r));
  sd_bus_error_free(&error);
  return {"polkit", "fail", "polkit does not answer: every change is refused", problem, fix};
}

}  // namespace banger::doctor
