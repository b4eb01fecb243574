#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "bus/caller.h"

namespace sdbus {
class IConnection;
class IProxy;
}  // namespace sdbus

namespace banger {

// Asks polkit (org.freedesktop.PolicyKit1.Authority.CheckAuthorization) whether
// the caller — subject system-bus-name, its unique name — may perform `action`.
// Asynchronous: `done` runs later on the bus thread with nullptr when allowed,
// or a banger::Error (access_denied / interactive_authorization_required).
// uid 0 is always allowed, as systemd's services allow privileged callers.
// Without polkit on the bus, everyone else is denied.
class Authorizer {
 public:
  using Done = std::function<void(std::exception_ptr denied)>;

  Authorizer(sdbus::IConnection& connection, bool use_polkit);
  ~Authorizer();

  void check(const Caller& caller, const std::string& action, std::map<std::string, std::string> details, Done done);

 private:
  std::unique_ptr<sdbus::IProxy> polkit_;
  bool use_polkit_;
};

}  // namespace banger
