#pragma once
// A VM's tap device name and guest MAC, derived from the VM id: naming only, so
// the bus edge can show them (VM.TapDevice, VM.MACAddress) without the host's
// tap code (net/taps.h makes and deletes the taps).
#include <string>
#include <string_view>

namespace banger::net {

// Every banger tap's name starts with this; recovery finds them by it.
inline constexpr std::string_view tap_prefix = "bgt";

// "bgt" + the first 12 hex digits of the VM id (15 bytes, the kernel's limit).
// Throws invalid_args for an id that does not start with 12 lowercase hex digits.
std::string tap_name_for(std::string_view vm_id);
// Whether `name` has the form tap_name_for gives.
bool is_tap_name(std::string_view name);

// The guest's MAC: stable for the VM id, locally administered, unicast.
std::string mac_for(std::string_view vm_id);

}  // namespace banger::net
