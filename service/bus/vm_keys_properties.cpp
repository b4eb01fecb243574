#include "bus/vm_keys_properties.h"

#include "bus/event_loop.h"
#include "bus/object_registry.h"
#include "bus/vm_object.h"
#include "core/errors.h"

namespace banger {

void VmKeysProperties::show(const std::string& vm_id, std::vector<AuthorizedKeyInfo> keys) {
  try {
    auto& vm = registry_.resolve(vm_id);
    if (vm.record().id == vm_id) vm.update_authorized_keys(std::move(keys));
  } catch (const Error&) {
    // Deleted meanwhile: its keys went with it.
  }
}

void VmKeysProperties::authorized_keys_changed(const std::string& vm_id, std::vector<AuthorizedKeyInfo> keys) {
  loop_.post([this, vm_id, keys = std::move(keys)]() mutable { show(vm_id, std::move(keys)); });
}

}  // namespace banger
