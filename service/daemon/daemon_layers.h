#pragma once
#include "config.h"
#include "core/vmm_backends.h"
#include "daemon.h"
#include "daemon/capability_set.h"
#include "daemon/daemon_bus.h"
#include "daemon/daemon_networks.h"
#include "daemon/host_services.h"
#include "daemon/managers.h"
#include "daemon/storage.h"

namespace banger {

// bangerd's layers once built (daemon.cpp, serve), each made from the ones
// before it, for the steps that use several: exporting the objects and running.
struct DaemonLayers {
  const Config& config;
  DaemonExtensions& extensions;
  VmmBackends& backends;
  Storage& storage;
  DaemonBus& bus;
  DaemonNetworks& networks;
  HostServices& host;
  CapabilitySet& capabilities;
  Managers& managers;
};

}  // namespace banger
