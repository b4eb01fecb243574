// The one place where D-Bus error names become client error codes.
#include "banger/bus_errors.h"
#include "banger/client.h"
#include "errors_internal.h"

#include <array>
#include <cstdio>
#include <utility>

namespace banger::client {

namespace {

namespace e = banger::bus::error;

struct Mapping {
  std::string_view name;
  ErrorCode code;
};

// Names outside bus_errors.h come from the bus itself (dbus-daemon, sd-bus):
// they mean bangerd is absent or not answering, or the object went away.
constexpr std::array mappings{
    Mapping{e::invalid_args, ErrorCode::usage},
    Mapping{e::ambiguous, ErrorCode::usage},
    Mapping{e::no_such_vm, ErrorCode::not_found},
    Mapping{e::no_such_image, ErrorCode::not_found},
    Mapping{e::no_such_network, ErrorCode::not_found},
    Mapping{"org.freedesktop.DBus.Error.UnknownObject", ErrorCode::not_found},
    Mapping{e::access_denied, ErrorCode::denied},
    Mapping{e::interactive_authorization_required, ErrorCode::denied},
    Mapping{"org.freedesktop.DBus.Error.ServiceUnknown", ErrorCode::unreachable},
    Mapping{"org.freedesktop.DBus.Error.NameHasNoOwner", ErrorCode::unreachable},
    Mapping{"org.freedesktop.DBus.Error.NoReply", ErrorCode::unreachable},
    Mapping{"org.freedesktop.DBus.Error.Timeout", ErrorCode::unreachable},
    Mapping{"org.freedesktop.DBus.Error.TimedOut", ErrorCode::unreachable},
    Mapping{"org.freedesktop.DBus.Error.Disconnected", ErrorCode::unreachable},
    Mapping{"org.freedesktop.DBus.Error.NoServer", ErrorCode::unreachable},
    Mapping{e::exists, ErrorCode::exists},
    Mapping{e::invalid_state, ErrorCode::invalid_state},
    Mapping{e::busy, ErrorCode::busy},
    Mapping{e::backend_failed, ErrorCode::backend_failed},
    Mapping{e::resource_exhausted, ErrorCode::resource_exhausted},
    Mapping{e::failed, ErrorCode::failed},
};

}  // namespace

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::failed: return "failed";
    case ErrorCode::usage: return "usage";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::denied: return "denied";
    case ErrorCode::unreachable: return "unreachable";
    case ErrorCode::exists: return "exists";
    case ErrorCode::invalid_state: return "invalid_state";
    case ErrorCode::busy: return "busy";
    case ErrorCode::backend_failed: return "backend_failed";
    case ErrorCode::resource_exhausted: return "resource_exhausted";
  }
  return "failed";
}

ErrorCode error_code_for(std::string_view dbus_error_name) noexcept {
  for (const auto& m : mappings)
    if (m.name == dbus_error_name) return m.code;
  return ErrorCode::failed;
}

Error::Error(ErrorCode code, std::string dbus_name, const std::string& message)
    : std::runtime_error(message), code_(code), dbus_name_(std::move(dbus_name)) {}

namespace detail {

Error from_dbus(const sdbus::Error& error) {
  const auto code = error_code_for(error.getName());
  std::string message = error.getMessage().empty() ? error.getName() : error.getMessage();
  if (code == ErrorCode::unreachable) message = "cannot reach bangerd: " + message;
  return Error(code, error.getName(), message);
}

Error from_operation_error(const std::string& text) {
  // A D-Bus error name has no spaces and at least one dot; anything else is
  // a bare message from a daemon that did not follow the format.
  const auto colon = text.find(": ");
  if (colon != std::string::npos) {
    const std::string name = text.substr(0, colon);
    if (name.find('.') != std::string::npos && name.find(' ') == std::string::npos)
      return from_dbus(sdbus::Error(name, text.substr(colon + 2)));
  }
  return Error(ErrorCode::failed, {}, text.empty() ? "operation failed" : text);
}

Error timeout_error(const std::string& what, std::chrono::milliseconds timeout) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", static_cast<double>(timeout.count()) / 1000.0);
  return Error(ErrorCode::failed, {}, std::string("timed out after ") + seconds + " s waiting for " + what);
}

}  // namespace detail

}  // namespace banger::client
