#include "bus/authorizer.h"

#include <chrono>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace {

constexpr const char* polkit_service = "org.freedesktop.PolicyKit1";
constexpr const char* polkit_path = "/org/freedesktop/PolicyKit1/Authority";
constexpr const char* polkit_interface = "org.freedesktop.PolicyKit1.Authority";
constexpr std::uint32_t allow_user_interaction = 1;

using Subject = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;
using AuthResult = sdbus::Struct<bool, bool, std::map<std::string, std::string>>;

std::exception_ptr denial(ErrorKind kind, std::string message) {
  return std::make_exception_ptr(Error(kind, std::move(message)));
}

}  // namespace

Authorizer::Authorizer(sdbus::IConnection& connection, bool use_polkit) : use_polkit_(use_polkit) {
  if (use_polkit_) {
    polkit_ = sdbus::createProxy(connection, polkit_service, polkit_path);
    polkit_->finishRegistration();
  }
}

Authorizer::~Authorizer() = default;

void Authorizer::check(const Caller& caller, const std::string& action, std::map<std::string, std::string> details,
                       Done done) {
  if (caller.uid == 0) {
    done(nullptr);
    return;
  }
  if (!use_polkit_) {
    done(denial(ErrorKind::access_denied, fmt::format("not authorized for {}: polkit is disabled", action)));
    return;
  }
  Subject subject{"system-bus-name", {{"name", sdbus::Variant(caller.bus_name)}}};
  std::uint32_t flags = caller.interactive ? allow_user_interaction : 0;
  // A human may be typing a password into an agent: wait as long as the client would.
  auto timeout = caller.interactive ? std::chrono::minutes(5) : std::chrono::minutes(1);
  polkit_->callMethodAsync("CheckAuthorization")
      .onInterface(polkit_interface)
      .withTimeout(timeout)
      .withArguments(subject, action, details, flags, std::string{})
      .uponReplyInvoke([done = std::move(done), action, caller](const sdbus::Error* error, AuthResult result) {
        if (error != nullptr) {
          log::warn("polkit check of {} for {} failed: {}: {}", action, caller.bus_name, error->getName(),
                    error->getMessage());
          done(denial(ErrorKind::access_denied,
                      fmt::format("not authorized for {}: polkit is not reachable ({})", action, error->getMessage())));
          return;
        }
        bool authorized = std::get<0>(result);
        bool challenge = std::get<1>(result);
        if (authorized) {
          done(nullptr);
        } else if (challenge && !caller.interactive) {
          done(denial(ErrorKind::interactive_authorization_required,
                      fmt::format("interactive authentication is required for {}", action)));
        } else {
          done(denial(ErrorKind::access_denied, fmt::format("not authorized for {}", action)));
        }
      });
}

}  // namespace banger
