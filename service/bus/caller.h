#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace sdbus {
class Message;
}

namespace banger {

// Who sent the method call being handled, as the bus daemon vouches for it.
struct Caller {
  std::string bus_name;  // unique name, e.g. ":1.42" — the polkit subject
  uid_t uid = static_cast<uid_t>(-1);
  bool interactive = false;  // the call set ALLOW_INTERACTIVE_AUTHORIZATION
};

// Must run on the bus thread while `message` is being handled.
Caller caller_of(const sdbus::Message& message);

// The credentials a caller's identity is decided from: the effective uid the
// bus daemon vouches for (dbus-daemon: GetConnectionCredentials' UnixUserID,
// taken from the socket's SO_PEERCRED), and nothing read from /proc by pid.
extern const std::uint64_t caller_creds_mask;  // SD_BUS_CREDS_EUID, no SD_BUS_CREDS_AUGMENT
// That uid; throws sdbus::Error (AccessDenied) when the bus did not send it.
uid_t bus_vouched_euid(const sdbus::Message& message);

}  // namespace banger
