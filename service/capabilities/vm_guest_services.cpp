#include "capabilities/vm_guest_services.h"

#include <fmt/format.h>

#include "capabilities/authorized_keys.h"
#include "capabilities/console_relay.h"
#include "capabilities/port_forwards.h"
#include "capabilities/ssh_public_key.h"
#include "core/errors.h"
#include "core/vm_manager.h"

namespace banger {

namespace {

template <typename T>
T& supported(T* capability, const char* why) {
  if (capability == nullptr) throw Error(ErrorKind::not_supported, why);
  return *capability;
}

constexpr const char* no_keys = "this bangerd keeps no authorized keys";
constexpr const char* no_forwards = "this bangerd has no port forwarding";
constexpr const char* no_relay = "this bangerd has no console relay ([console] relay)";

// A paused guest cannot take the change, and storing it alone would leave the
// guest's authorized_keys behind the list until the next start; a suspended
// guest comes back from its saved state, never reading the list at a boot.
void refuse_if_paused(const VmRecord& vm) {
  if (vm.state == VmState::paused)
    throw Error(ErrorKind::invalid_state, fmt::format("VM '{}' is paused: resume it to change its keys", vm.name));
  if (vm.state == VmState::suspended)
    throw Error(ErrorKind::invalid_state, fmt::format("VM '{}' is suspended: start it to change its keys", vm.name));
}

}  // namespace

void VmGuestKeys::check_keys(const std::vector<std::string>& keys) const { parse_ssh_public_keys(keys); }

void VmGuestKeys::check_fingerprints(const std::vector<std::string>& fingerprints) const {
  validate_fingerprints(fingerprints);
}

void VmGuestKeys::add(const std::string& vm_id, const std::vector<std::string>& keys, std::uint32_t added_by_uid) {
  auto& to = supported(keys_, no_keys);
  const auto parsed = parse_ssh_public_keys(keys);
  vms_.inspect(vm_id, [&](const VmRecord& vm) {
    refuse_if_paused(vm);
    to.add(vm, parsed, added_by_uid);
  });
}

void VmGuestKeys::remove(const std::string& vm_id, const std::vector<std::string>& fingerprints) {
  auto& from = supported(keys_, no_keys);
  vms_.inspect(vm_id, [&](const VmRecord& vm) {
    refuse_if_paused(vm);
    from.remove(vm, fingerprints);
  });
}

void VmForwards::add(const std::string& vm_id, const std::string& protocol, std::uint16_t host_port,
                     std::uint16_t guest_port) {
  auto& to = supported(forwards_, no_forwards);
  vms_.inspect(vm_id, [&](const VmRecord& vm) { to.add(vm, protocol, host_port, guest_port); });
}

void VmForwards::remove(const std::string& vm_id, const std::string& protocol, std::uint16_t host_port) {
  auto& from = supported(forwards_, no_forwards);
  vms_.inspect(vm_id, [&](const VmRecord& vm) { from.remove(vm, protocol, host_port); });
}

UniqueFd VmConsoles::open(const std::string& vm_id) {
  const auto& relay = supported(relay_, no_relay);
  UniqueFd console;
  // Under the VM's lock, so a Stop cannot end the relay between the check and the connect.
  vms_.inspect(vm_id, [&](const VmRecord& vm) {
    if (vm.state != VmState::running)
      throw Error(ErrorKind::invalid_state, fmt::format("VM '{}' is {}; its console is there only while it runs",
                                                        vm.name, to_string(vm.state)));
    console = relay.connect(vm.id);
  });
  if (sessions_ != nullptr) sessions_->begun(vm_id);
  return console;
}

}  // namespace banger
