#include "daemon/managers.h"

#include "net/taps.h"

namespace banger {

namespace {

stats::StatsPoller::TapName tap_of() {
  return [](const VmRecord& vm) { return vm.network.empty() ? std::string() : net::tap_name_for(vm.id); };
}

VmManagerSettings settings_of(const Config& config) {
  return {config.lock_timeout, std::chrono::duration_cast<std::chrono::milliseconds>(config.stop_timeout),
          config.runtime_dir, config.state_dir / "deleting", config.quotas, config.state_dir / "saved-states",
          config.state_dir / "snapshots"};
}

}  // namespace

Managers::Managers(const Config& config, VmmBackends& backends, Storage& storage, DaemonBus& bus, HostServices& host,
                   CapabilitySet& capabilities)
    // Live stats: the poller follows the VMs' states alongside the bus objects it feeds.
    : stats_poller(bus.stats_properties, [&storage](const std::string& id) { return storage.vmm_process(id); },
                   tap_of()),
      autostart_marker(config.state_dir / "autostart"),
      disk_ledger(storage.store, config.state_dir, &storage.store),
      events_{&bus.registry, &stats_poller, &autostart_marker},
      guest_clock(host.guest_shell ? std::make_unique<SshGuestClock>(storage.attachments, *host.guest_shell) : nullptr),
      vms({storage.store, backends, capabilities.in_order, events_, storage.handles, &exits, &workspace_locks,
           &disk_ledger, guest_clock.get(), &storage.store, &bus.registry},
          settings_of(config)),
      power_control(vms),
      host_power({power_control, host.logind, guest_clock.get(), host.on_host_thread, config.suspend_at_host_shutdown}),
      images({storage.store, bus.registry}, config.state_dir),
      wake(vms, storage, capabilities.taps != nullptr) {
  // Host sleep and shutdown: follows the VMs from here on, before any can change.
  events_.add(host_power);
  if (auto* wake_events = wake.events()) events_.add(*wake_events);
  // From here on VMMs' exits are handled: recovery watches the VMMs it adopts.
  exits.start([this](const std::string& id, const VmmProcess& process, const VmmExit& exit) {
    vms.vmm_exited(id, process, exit);
  });
}

}  // namespace banger
