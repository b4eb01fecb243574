#include "host/logind_bus.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "host/service_peer_bus.h"

namespace banger::host {

namespace {

constexpr const char* login1_name = "org.freedesktop.login1";
constexpr const char* login1_path = "/org/freedesktop/login1";
constexpr const char* login1_manager = "org.freedesktop.login1.Manager";
constexpr const char* who = "systemd-logind";

std::unique_ptr<sdbus::IProxy> manager_on(sdbus::IConnection& bus) {
  if (auto why = not_served(bus, login1_name, who)) throw Error(ErrorKind::backend_failed, *why);
  return sdbus::createProxy(bus, login1_name, login1_path);
}

Error failed(const sdbus::Error& e) {
  return Error(ErrorKind::backend_failed, fmt::format("{} ({})", e.getMessage(), e.getName()));
}

}  // namespace

std::string LogindBus::unavailable() { return host::unavailable(login1_name, who); }

UniqueFd LogindBus::inhibit_sleep_and_shutdown(const std::string& why) {
  try {
    auto bus = system_bus();
    sdbus::UnixFd fd;
    // The lock lives as long as the fd, not the connection.
    manager_on(*bus)->callMethod("Inhibit")
        .onInterface(login1_manager)
        .withTimeout(peer_call_timeout)
        .withArguments(std::string("sleep:shutdown"), std::string("banger"), why, std::string("delay"))
        .storeResultsTo(fd);
    return UniqueFd(fd.release());
  } catch (const sdbus::Error& e) {
    throw failed(e);
  }
}

std::chrono::microseconds LogindBus::inhibit_delay_max() {
  try {
    auto bus = system_bus();
    std::uint64_t usec = manager_on(*bus)->getProperty("InhibitDelayMaxUSec").onInterface(login1_manager);
    return std::chrono::microseconds(usec);
  } catch (const sdbus::Error& e) {
    throw failed(e);
  }
}

LogindSignals::LogindSignals(sdbus::IConnection& bus, HostPower& power, HostPower::Post post)
    : proxy_(sdbus::createProxy(bus, login1_name, login1_path)) {
  proxy_->uponSignal("PrepareForSleep").onInterface(login1_manager).call([&power, post](bool start) {
    log::info("logind: PrepareForSleep({})", start);
    post([&power, start] { start ? power.before_sleep() : power.after_sleep(); });
  });
  proxy_->uponSignal("PrepareForShutdown").onInterface(login1_manager).call([&power, post](bool start) {
    log::info("logind: PrepareForShutdown({})", start);
    post([&power, start] { start ? power.before_shutdown() : power.shutdown_cancelled(); });
  });
  proxy_->finishRegistration();
}

LogindSignals::~LogindSignals() = default;

}  // namespace banger::host
