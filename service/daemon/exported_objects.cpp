#include "daemon/exported_objects.h"

#include "banger/bus_names.h"
#include "banger_build_config.h"
#include "core/log.h"

namespace banger {

namespace {

BusContext context_of(const DaemonLayers& l, ExportedObjects& o) {
  const auto& config = l.config;
  return BusContext{
      .connection = *l.bus.connection,
      .loop = l.bus.loop,
      .pool = *o.pool,
      .authorizer = o.authorizer,
      .vms = l.managers.vms,
      .registry = l.bus.registry,
      .images = l.managers.images,
      .networks = l.networks.manager,
      .defaults = CreateDefaults{config.default_vcpus, config.default_memory_mib, config.default_image},
      .limits = probe_host_limits(),
      .consoles = l.host.consoles,
      .keys = o.guest_keys,
      .forwards = o.forwards,
      .console = o.consoles,
      .workspaces = o.vm_workspaces,
      // The images directory is in the state directory.
      .import_off_limits = {config.state_dir, config.runtime_dir},
  };
}

}  // namespace

ExportedObjects::ExportedObjects(const DaemonLayers& l, const StartUpRecovered&)
    : authorizer(*l.bus.connection, l.config.polkit),
      pool(std::make_unique<WorkerPool>(l.config.workers)),
      workspaces({l.managers.vms, l.storage.attachments, l.managers.workspace_locks, l.config.state_dir,
                  l.host.ssh_key},
                 {}),
      transfer_slots(l.config.max_transfers, l.config.max_transfers_per_user),
      transfer_threads(std::make_unique<WorkerPool>(l.config.max_transfers)),
      guest_keys(l.managers.vms, l.capabilities.authorized_keys.get()),
      forwards(l.managers.vms, l.capabilities.forwards.get()),
      consoles(l.managers.vms, l.capabilities.console_relay.get(), &l.managers.sessions),
      vm_workspaces(&workspaces, transfer_slots, *transfer_threads, &l.managers.sessions),
      context(context_of(l, *this)),
      manager(context),
      managed_objects(*l.bus.connection, l.bus.registry),
      logind_signals(*l.bus.connection, l.managers.host_power, l.host.on_host_thread) {
  auto& vms = l.managers.vms;
  l.bus.registry.load(context, vms.list(), l.managers.images.list(), l.networks.manager.list(), vms.snapshots());
  for (auto& [vm_id, keys] : l.capabilities.authorized_keys->all()) l.bus.key_properties.show(vm_id, std::move(keys));
  if (l.capabilities.forwards) l.capabilities.forwards->publish_all(vms.list());
  l.managers.autostart_marker.load(vms.list());
  l.managers.wake.load(vms.list());
  // Last, so no client ever sees a half-exported service.
  l.bus.connection->requestName(bus::service_name);
  log::info("bangerd {} ready (default backend {}, state {}, {} VMs)", BANGER_VERSION, l.backends.default_name(),
            l.config.state_dir.string(), l.bus.registry.records().size());
}

}  // namespace banger
