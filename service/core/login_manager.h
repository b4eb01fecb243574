#pragma once
#include <chrono>
#include <string>

#include "core/unique_fd.h"

namespace banger {

// The host's login manager (org.freedesktop.login1; host/logind_bus.h), as far
// as sleep and shutdown go. Calls block for a D-Bus round trip.
class LoginManager {
 public:
  virtual ~LoginManager() = default;
  // Why there is no login manager to talk to ("" when there is).
  virtual std::string unavailable() = 0;
  // A "delay" inhibitor lock on sleep and shutdown, held as long as the fd is
  // open. Throws Error(backend_failed) when it cannot be had.
  virtual UniqueFd inhibit_sleep_and_shutdown(const std::string& why) = 0;
  // How long logind waits for delay locks (InhibitDelayMaxUSec); throws when unknown.
  virtual std::chrono::microseconds inhibit_delay_max() = 0;
};

}  // namespace banger
