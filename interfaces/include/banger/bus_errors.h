#pragma once
// Every D-Bus error name banger answers with. Each method's errors are listed in
// the interface XML; bangerd maps domain errors to these in service/bus/error_map.cpp
// and libbanger-client maps them back in client/error_codes.cpp.

namespace banger::bus::error {

inline constexpr const char* no_such_vm = "dev.banger.banger1.Error.NoSuchVM";
inline constexpr const char* no_such_image = "dev.banger.banger1.Error.NoSuchImage";
inline constexpr const char* no_such_network = "dev.banger.banger1.Error.NoSuchNetwork";
inline constexpr const char* exists = "dev.banger.banger1.Error.Exists";
inline constexpr const char* ambiguous = "dev.banger.banger1.Error.Ambiguous";
inline constexpr const char* invalid_state = "dev.banger.banger1.Error.InvalidState";
inline constexpr const char* busy = "dev.banger.banger1.Error.Busy";
inline constexpr const char* backend_failed = "dev.banger.banger1.Error.BackendFailed";
inline constexpr const char* resource_exhausted = "dev.banger.banger1.Error.ResourceExhausted";

inline constexpr const char* invalid_args = "org.freedesktop.DBus.Error.InvalidArgs";
inline constexpr const char* access_denied = "org.freedesktop.DBus.Error.AccessDenied";
inline constexpr const char* interactive_authorization_required =
    "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired";
inline constexpr const char* not_supported = "org.freedesktop.DBus.Error.NotSupported";
inline constexpr const char* failed = "org.freedesktop.DBus.Error.Failed";

}  // namespace banger::bus::error
