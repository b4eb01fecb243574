#include "bus/vm_ports_properties.h"

#include "bus/event_loop.h"
#include "bus/object_registry.h"
#include "bus/vm_object.h"

namespace banger {

void BusGuestPortsObserver::guest_ports_changed(const std::string& vm_id, const std::vector<GuestPort>& ports) {
  loop_.post([&registry = registry_, vm_id, ports] {
    // A VM deleted meanwhile (or a daemon shutting down) has no object to tell.
    if (auto* vm = registry.find_vm(vm_id)) vm->update_ports(ports);
  });
}

}  // namespace banger
