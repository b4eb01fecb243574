#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/guest_ports.h"

namespace banger {

class EventLoop;
class ObjectRegistry;

// Carries the port poller's news over to the bus thread, where the VM object
// sets its Ports property (PropertiesChanged only when it differs).
class BusGuestPortsObserver final : public GuestPortsObserver {
 public:
  BusGuestPortsObserver(EventLoop& loop, ObjectRegistry& registry) : loop_(loop), registry_(registry) {}
  void guest_ports_changed(const std::string& vm_id, const std::vector<GuestPort>& ports) override;

 private:
  EventLoop& loop_;
  ObjectRegistry& registry_;
};

}  // namespace banger
