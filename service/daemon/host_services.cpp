#include "daemon/host_services.h"

#include "core/log.h"
#include "ports/ssh_port_probe.h"

namespace banger {

namespace {

// A job for the host thread, whose failure is logged rather than ending the thread.
HostPower::Post post_to(const std::unique_ptr<WorkerPool>& thread) {
  return [&thread](std::function<void()> job) {
    if (thread) thread->submit([job = std::move(job)] {
      try {
        job();
      } catch (const std::exception& e) {
        log::warn("host integration: {}", e.what());
      }
    });
  };
}

GuestPortProbeFactory ssh_port_probes(const SshKeyPair& key, const GuestHostKeys& host_keys) {
  return [&key, &host_keys](const std::string& vm_id, const std::string& address) {
    return std::make_unique<SshPortProbe>(address, key, host_keys.check_for(vm_id, vm_id));
  };
}

}  // namespace

HostServices::HostServices(const Config& config, DaemonBus& bus, DaemonNetworks& networks)
    : consoles(config.runtime_dir, config.console_log_max_bytes),
      host_thread(std::make_unique<WorkerPool>(1)),
      on_host_thread(post_to(host_thread)),
      ssh_key(SshKeyPair::load_or_create(config.state_dir / "ssh")),
      vmm_ids(make_vmm_ids(config.firecracker, config.state_dir)),
      host_keys(config.state_dir),
      port_poller(config.ports_interval, ssh_port_probes(ssh_key, host_keys)),
      guest_shell(networks.host_taps ? std::make_unique<SshGuestShell>(ssh_key, host_keys, std::chrono::seconds(30))
                                     : nullptr) {
  port_poller.add_observer(bus.port_properties);
}

}  // namespace banger
