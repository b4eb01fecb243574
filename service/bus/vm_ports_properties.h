#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "core/guest_ports.h"

namespace banger {

class EventLoop;
class ObjectRegistry;

// VM.Ports, a(sqs): (protocol, port, process).
using BusGuestPorts = std::vector<sdbus::Struct<std::string, std::uint16_t, std::string>>;
BusGuestPorts to_bus_ports(const std::vector<GuestPort>& ports);

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
