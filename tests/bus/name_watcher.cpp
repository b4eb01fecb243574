#include "name_watcher.h"

#include <algorithm>
#include <stdexcept>

namespace banger::test {

namespace {
constexpr const char* dbus_name = "org.freedesktop.DBus";
constexpr const char* dbus_path = "/org/freedesktop/DBus";
using Clock = std::chrono::steady_clock;
}  // namespace

NameWatcher::NameWatcher(const std::string& address)
    : events_(sdbus::createSessionBusConnectionWithAddress(address)),
      calls_(sdbus::createSessionBusConnectionWithAddress(address)),
      signals_(sdbus::createProxy(*events_, dbus_name, dbus_path)),
      bus_(sdbus::createProxy(*calls_, dbus_name, dbus_path)) {
  signals_->uponSignal("NameOwnerChanged")
      .onInterface(dbus_name)
      .call([this](const std::string&, const std::string&, const std::string&) {
        std::lock_guard lock(mutex_);
        ++generation_;
        changed_.notify_all();
      });
  signals_->finishRegistration();
  events_->enterEventLoopAsync();
}

NameWatcher::~NameWatcher() { events_->leaveEventLoop(); }

bool NameWatcher::has_owner(const std::string& name) {
  bool owned = false;
  bus_->callMethod("NameHasOwner").onInterface(dbus_name).withArguments(name).storeResultsTo(owned);
  return owned;
}

void NameWatcher::wait_owned(const std::string& name, Service& service, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    std::uint64_t seen;
    {
      std::lock_guard lock(mutex_);
      seen = generation_;
    }
    if (has_owner(name)) return;
    if (!service.running())
      throw std::runtime_error("pid " + std::to_string(service.pid()) + " exited (status " +
                               std::to_string(service.exit_status().value_or(-1)) + ") before owning " + name);
    if (Clock::now() >= deadline) throw std::runtime_error("timed out waiting for " + name + " on the bus");
    // Woken by any name change; the short slice only notices a crashed service.
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, std::min(deadline, Clock::now() + 200ms), [&] { return generation_ != seen; });
  }
}

}  // namespace banger::test
