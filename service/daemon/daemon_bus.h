#pragma once
#include <memory>

#include <sdbus-c++/IConnection.h>

#include "bus/event_loop.h"
#include "bus/object_registry.h"
#include "bus/vm_keys_properties.h"
#include "bus/vm_ports_properties.h"
#include "bus/vm_stats_properties.h"
#include "config.h"

namespace banger {

// The system bus and what carries the domain's news onto it: the registry of
// exported objects and the VM properties that change while VMs run. Made
// before the networks, capabilities and VMs that report to them; nothing is
// exported and the name is not taken until ExportedObjects.
struct DaemonBus {
  explicit DaemonBus(const Config& config);
  DaemonBus(const DaemonBus&) = delete;
  DaemonBus& operator=(const DaemonBus&) = delete;

  std::unique_ptr<sdbus::IConnection> connection;
  EventLoop loop{*connection};
  ObjectRegistry registry;
  VmKeysProperties key_properties{loop, registry};
  BusGuestPortsObserver port_properties{loop, registry};  // VM.Ports, fed by the port poller
  VmStatsProperties stats_properties{loop, registry};     // fed by the stats poller
};

}  // namespace banger
