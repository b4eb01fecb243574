#include "core/tap_names.h"

#include <algorithm>

#include "core/errors.h"
#include "core/mac_address.h"

namespace banger::net {

namespace {

constexpr std::size_t id_digits = 12;

bool lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::string tap_name_for(std::string_view vm_id) {
  if (vm_id.size() < id_digits || !lower_hex(vm_id.substr(0, id_digits)))
    throw Error(ErrorKind::invalid_args, "VM id '" + std::string(vm_id) + "' does not start with 12 hex digits");
  return std::string(tap_prefix) + std::string(vm_id.substr(0, id_digits));
}

bool is_tap_name(std::string_view name) {
  return name.size() == tap_prefix.size() + id_digits && name.starts_with(tap_prefix) &&
         lower_hex(name.substr(tap_prefix.size()));
}

std::string mac_for(std::string_view vm_id) { return stable_mac(vm_id); }

}  // namespace banger::net
