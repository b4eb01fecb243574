#include "daemon/capability_set.h"

#include <unistd.h>

#include "capabilities/image_files.h"
#include "capabilities/jailer_identity.h"
#include "core/backend_scoped.h"
#include "core/log.h"
#include "capabilities/ssh_public_key.h"
#include "daemon/capability_order.h"
#include "net/port_forward_table.h"
#include "net/port_reservation.h"
#include "vmm/firecracker/jailer.h"
#include "vmm/process.h"
#include "vmm/qemu/kvm_verdict.h"

namespace banger {

namespace {

std::shared_ptr<ConsoleRelayCapability> console_relay_for(const Config& config) {
  if (!config.console_relay.empty() && access(config.console_relay.c_str(), X_OK) == 0)
    return std::make_shared<ConsoleRelayCapability>(config.console_relay, config.runtime_dir);
  log::info("no console relay ({}): VMs get no interactive console",
            config.console_relay.empty() ? "[console] relay is empty" : config.console_relay.string() + " is missing");
  return nullptr;
}

std::vector<std::shared_ptr<Capability>> image_files_for(const CapabilityInputs& in) {
  std::vector<std::shared_ptr<Capability>> out;
  for (const auto& name : in.backends.names()) {
    // Each backend boots its own kind of kernel from the image.
    auto kernel = in.backends.get(name).kernel_file();
    if (!kernel.empty())
      out.push_back(std::make_shared<BackendScoped>(
          name, std::make_shared<ImageFiles>(in.storage.store, in.config.state_dir, std::string(kernel), name,
                                             name == in.backends.default_name(), in.config.runtime_dir)));
  }
  return out;
}

// Each VM's own uid, held from create to delete (issue 8), which its VMM runs as, QEMU or
// Firecracker, jailed or not (issue 17, finding 3). One range, one set of claims.
std::vector<std::shared_ptr<Capability>> vmm_uid_claims(const HostServices& host) {
  std::vector<std::shared_ptr<Capability>> out;
  if (host.vmm_ids)
    for (const char* backend : {"firecracker", "qemu"})
      out.push_back(std::make_shared<BackendScoped>(backend, std::make_shared<JailerIdentity>(host.vmm_ids)));
  return out;
}

std::shared_ptr<TapDevice> tap_device(const CapabilityInputs& in) {
  // Every VMM opens its tap as the VM's own uid (or the fixed one; root when that is 0).
  TapDevice::OwnerOf owner = [&config = in.config, vmm_ids = in.host.vmm_ids](const VmRecord& vm) -> uid_t {
    if (vm.backend != "qemu" && vm.backend != "firecracker") return 0;
    return jail_owner_of(vmm_ids.get(), config.firecracker, vm.id).uid;
  };
  return std::make_shared<TapDevice>(in.storage.attachments, *in.networks.host_taps, std::move(owner),
                                     &in.host.tap_guards);
}

std::shared_ptr<PortForwards> port_forwards(const CapabilityInputs& in) {
  auto& store = in.storage.store;
  return std::make_shared<PortForwards>(PortForwardsDeps{
      store, in.storage.attachments, in.bus.registry,
      [table = std::make_shared<PortForwardTable>()](const std::vector<ForwardRule>& rules) { table->apply(rules); },
      reserve_host_port, ForwardLimits{in.config.max_forwards_per_vm, in.config.max_forwards_per_owner},
      [&store](std::uint32_t owner) {
        std::vector<std::string> ids;
        for (const auto& vm : store.list_vms())
          if (vm.owner_uid == owner) ids.push_back(vm.id);
        return ids;
      }});
}

std::shared_ptr<SshAccess> ssh_access_for(const CapabilityInputs& in) {
  SshAccessSettings settings;
  settings.timeout = in.config.ssh_timeout;
  return std::make_shared<SshAccess>(
      in.storage.attachments, in.host.ssh_key, in.host.host_keys,
      [&consoles = in.host.consoles](const std::string& id) { return consoles.tail(id, 4096); }, settings,
      [&storage = in.storage](const std::string& id) {
        auto process = storage.vmm_process(id);
        return process && is_running({process->pid, process->start_time});
      });
}

std::shared_ptr<AuthorizedKeys> authorized_keys_for(const CapabilityInputs& in) {
  return std::make_shared<AuthorizedKeys>(
      AuthorizedKeys::Deps{in.storage.store, in.storage.attachments, in.host.guest_shell.get(), in.bus.key_properties,
                           parse_ssh_public_key(in.host.ssh_key.public_key()).blob});
}

std::shared_ptr<MachineRegistration> machine_registration(const CapabilityInputs& in) {
  return std::make_shared<MachineRegistration>(MachineRegistration::Deps{
      in.host.machined,
      [&storage = in.storage](const std::string& id) -> std::optional<pid_t> {
        auto process = storage.vmm_process(id);
        if (!process) return std::nullopt;
        return process->pid;
      },
      host::tap_ifindices, host::in_cgroup_of_its_own, in.host.on_host_thread});
}

std::shared_ptr<HostChecks> host_checks_for(const CapabilityInputs& in) {
  const auto& config = in.config;
  return std::make_shared<HostChecks>(HostCheckSettings{
      config.firecracker.binary, config.firecracker.jailer, config.qemu.binary, in.backends.default_name(),
      config.state_dir, kvm_verdict_file_in(config.runtime_dir),
      {config.doctor_disk_warn_mib, config.doctor_disk_fail_mib}, config.polkit});
}

std::vector<std::shared_ptr<Capability>> extension_capabilities(const CapabilityInputs& in) {
  std::vector<std::shared_ptr<Capability>> out;
  for (auto& make : in.extensions.capabilities) out.push_back(make(in.config));
  return out;
}

}  // namespace

// Made in the order they run; those that need host taps only with them.
CapabilitySet::CapabilitySet(const CapabilityInputs& in)
    : directories(std::make_shared<VmDirectories>(in.config.state_dir, in.config.runtime_dir)),
      console_relay(console_relay_for(in.config)),
      image_files(image_files_for(in)),
      vmm_uids(vmm_uid_claims(in.host)),
      work_disk(std::make_shared<WorkDisk>(in.config.state_dir)),
      network_address(std::make_shared<NetworkAddress>(in.networks.manager)),
      taps(in.networks.host_taps ? tap_device(in) : nullptr),
      nat(taps ? std::make_shared<NatAccess>(in.storage.attachments, in.networks.manager) : nullptr),
      dns(taps ? in.networks.dns : nullptr),
      forwards(taps ? port_forwards(in) : nullptr),
      ssh_access(taps ? ssh_access_for(in) : nullptr),
      guest_ports(taps ? std::make_shared<GuestPorts>(in.storage.attachments, in.host.port_poller) : nullptr),
      authorized_keys(authorized_keys_for(in)),
      machines(machine_registration(in)),
      logind_check(std::make_shared<LogindCheck>(in.host.logind)),
      host_checks(host_checks_for(in)),
      extensions(extension_capabilities(in)),
      in_order(in_capability_order(*this)) {
  // Automatic forwards follow the guest's ports (after VM.Ports, HostServices' first observer).
  if (forwards) in.host.port_poller.add_observer(*forwards);
}

}  // namespace banger
