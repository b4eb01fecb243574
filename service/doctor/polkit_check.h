#pragma once
#include <chrono>
#include <string>

#include "core/machine_config.h"

namespace banger::doctor {

// Whether polkit answers on bangerd's bus: every mutating method asks it.
// Pings org.freedesktop.PolicyKit1 over a connection of its own (so a hung
// polkitd never blocks bangerd's bus thread longer than `timeout`).
// `bus_address` empty: the system bus ($DBUS_SYSTEM_BUS_ADDRESS honoured).
DoctorCheck polkit_check(const std::string& bus_address, std::chrono::milliseconds timeout);

}  // namespace banger::doctor
