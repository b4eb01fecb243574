#pragma once
#include <memory>

#include "bus/authorizer.h"
#include "bus/bus_context.h"
#include "bus/managed_objects.h"
#include "bus/manager_object.h"
#include "core/start_up_recovery.h"
#include "capabilities/vm_guest_services.h"
#include "core/transfer_slots.h"
#include "workspace/workspace_service.h"
#include "core/worker_pool.h"
#include "daemon/daemon_layers.h"
#include "host/logind_bus.h"
#include "workspace/workspaces.h"

namespace banger {

// What clients reach: the Manager and every VM, Image and Network object,
// exported once start-up recovery has settled the VMs (hence the
// StartUpRecovered), and the bus name, taken last so that no client ever sees
// a half-exported service.
struct ExportedObjects {
  ExportedObjects(const DaemonLayers& layers, const StartUpRecovered& recovered);
  ExportedObjects(const ExportedObjects&) = delete;
  ExportedObjects& operator=(const ExportedObjects&) = delete;

  Authorizer authorizer;
  std::unique_ptr<WorkerPool> pool;  // every mutation's worker (bus/request.h)
  Workspaces workspaces;
  TransferSlots transfer_slots;
  // The transfers' own threads (as many as slots), so stuck callers never hold the pool's workers.
  std::unique_ptr<WorkerPool> transfer_threads;
  // The VM verbs beyond the lifecycle, as domain services (core/vm_guest_services.h).
  VmGuestKeys guest_keys;
  VmForwards forwards;
  VmConsoles consoles;
  VmWorkspaces vm_workspaces;
  BusContext context;
  ManagerObject manager;
  ManagedObjectsResponder managed_objects;
  host::LogindSignals logind_signals;  // host sleep and shutdown, from logind to HostPower
};

}  // namespace banger
