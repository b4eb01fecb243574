#pragma once
#include <exception>

#include <sdbus-c++/Error.h>

namespace banger {

// The one place bangerd turns a failure into a D-Bus error: banger::Error by
// kind (names from banger/bus_errors.h), sdbus::Error unchanged, anything else
// org.freedesktop.DBus.Error.Failed.
sdbus::Error to_bus_error(std::exception_ptr failure);

}  // namespace banger
