#pragma once
#include <memory>

#include "core/host_power.h"
#include "core/login_manager.h"

namespace sdbus {
class IConnection;
class IProxy;
}  // namespace sdbus

namespace banger::host {

// LoginManager over org.freedesktop.login1 (systemd-logind).
class LogindBus final : public LoginManager {
 public:
  std::string unavailable() override;
  UniqueFd inhibit_sleep_and_shutdown(const std::string& why) override;
  std::chrono::microseconds inhibit_delay_max() override;
};

// logind's PrepareForSleep and PrepareForShutdown, received on the bus
// thread's connection (`bus`) and handed to HostPower through `post`: pausing
// and stopping VMs takes seconds, the bus thread must not wait for it. The
// match names logind's well-known name, so it holds whenever logind comes.
class LogindSignals {
 public:
  LogindSignals(sdbus::IConnection& bus, HostPower& power, HostPower::Post post);
  ~LogindSignals();

 private:
  std::unique_ptr<sdbus::IProxy> proxy_;
};

}  // namespace banger::host
