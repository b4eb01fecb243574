#include "daemon.h"
#include "daemon_parts.h"

#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cstdio>
#include <set>

#include <CLI/CLI.hpp>
#include <sdbus-c++/sdbus-c++.h>

#include "banger/bus_names.h"
#include "banger_build_config.h"
#include "bus/authorizer.h"
#include "bus/event_loop.h"
#include "bus/managed_objects.h"
#include "bus/manager_object.h"
#include "bus/object_registry.h"
#include "bus/vm_keys_properties.h"
#include "capabilities/authorized_keys.h"
#include "bus/vm_stats_properties.h"
#include "bus/vm_ports_properties.h"
#include "capabilities/console_relay.h"
#include "capabilities/dns_names.h"
#include "capabilities/guest_clock_ssh.h"
#include "capabilities/guest_host_keys.h"
#include "capabilities/guest_ports.h"
#include "capabilities/logind_check.h"
#include "capabilities/machine_registration.h"
#include "capabilities/image_files.h"
#include "capabilities/jailer_identity.h"
#include "capabilities/nat_access.h"
#include "capabilities/network_address.h"
#include "capabilities/port_forwards.h"
#include "capabilities/ssh_access.h"
#include "capabilities/ssh_key_pair.h"
#include "capabilities/tap_device.h"
#include "capabilities/work_disk.h"
#include "capabilities/disk_ledger.h"
#include "capabilities/vm_guest_services.h"
#include "host/journal.h"
#include "store/handles_files.h"
#include "capabilities/vm_directories.h"
#include "core/autostart.h"
#include "core/autostart_marker.h"
#include "core/backend_scoped.h"
#include "core/boot_id.h"
#include "core/capabilities.h"
#include "core/console_logs.h"
#include "core/errors.h"
#include "core/host_power.h"
#include "core/image_manager.h"
#include "core/log.h"
#include "core/network_manager.h"
#include "core/periodic_task.h"
#include "core/poweroff_requests.h"
#include "capabilities/ssh_public_key.h"
#include "core/stored_attachments.h"
#include "core/vm_events_fanout.h"
#include "core/vm_manager.h"
#include "core/vm_manager_power_control.h"
#include "core/transfer_slots.h"
#include "core/worker_pool.h"
#include "disks/root_disk.h"
#include "doctor/host_checks.h"
#include "vmm/qemu/kvm_verdict.h"
#include "host/logind_bus.h"
#include "host/machined_bus.h"
#include "workspace/workspaces.h"
#include "net/port_forward_table.h"
#include "net/port_reservation.h"
#include "net/resolved_bus.h"
#include "net/tap_guard_table.h"
#include "net/taps.h"
#include "stats/stats_poller.h"
#include "ports/ssh_port_probe.h"
#include "store/sqlite_store.h"
#include "vmm/exit_watcher.h"
#include "vmm/firecracker/jailer.h"
#include "vmm/process.h"

namespace banger {

namespace {

struct CommandLine {
  std::optional<std::filesystem::path> config;
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::filesystem::path> runtime_dir;
};

void make_dir(const std::filesystem::path& dir, std::filesystem::perms perms) {
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, perms);
}

int serve(const Config& config, DaemonExtensions& extensions) {
  VmmBackends backends;
  try {
    backends = make_backends(config, extensions);
  } catch (const Error& e) {
    log::error("{}", e.what());
    return 1;
  }
  for (const auto& name : backends.names())
    if (auto why = backends.get(name).unavailable(); !why.empty()) log::info("VMM backend {}: {}", name, why);

  make_dir(config.state_dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                 std::filesystem::perms::group_exec);
  make_dir(config.runtime_dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                   std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                   std::filesystem::perms::others_exec);

  SqliteStore store(config.state_dir / "banger.db");
  auto connection = sdbus::createSystemBusConnection();
  EventLoop loop(*connection);
  ObjectRegistry registry(loop, config.operation_linger);
  VmKeysProperties key_properties(loop, registry);

  // Networks first: VM recovery and the network capabilities need their bridges.
  auto host_networks = extensions.host_networks ? extensions.host_networks(config)
                                                : unapplied_host_networks();
  auto host_taps = extensions.host_taps ? extensions.host_taps(config) : nullptr;
  StoredAttachments attachments(store, store);
  // The network capabilities need a host with taps; without (the tests' daemon) VMs have no NIC.
  std::shared_ptr<DnsNames> dns;
  if (host_taps)
    dns = std::make_shared<DnsNames>(attachments, config.runtime_dir, config.dnsmasq,
                                     std::make_shared<net::ResolvedBus>());
  NetworkManager networks({store, *host_networks, registry, dns.get()}, config.default_subnet);
  networks.start();

  ConsoleLogs consoles(config.runtime_dir, config.console_log_max_bytes);
  // machined and logind (issue 16): every call to them on one thread of their own, in order,
  // so neither a Start nor the bus thread ever waits for them. Ended before what its jobs use.
  auto host_thread = std::make_unique<WorkerPool>(1);
  HostPower::Post on_host_thread = [&host_thread](std::function<void()> job) {
    if (host_thread) host_thread->submit([job = std::move(job)] {
      try {
        job();
      } catch (const std::exception& e) {
        log::warn("host integration: {}", e.what());
      }
    });
  };
  host::MachinedBus machined;
  host::LogindBus logind;
  // bangerd's own SSH key: installed in guests, used for the SSH wait and workspace transfers.
  const auto ssh_key = SshKeyPair::load_or_create(config.state_dir / "ssh");
  std::vector<std::shared_ptr<Capability>> capability_list{
      std::make_shared<VmDirectories>(config.state_dir, config.runtime_dir)};
  // Right after the runtime dir exists and before anything that waits for the guest
  // (its output must reach the log); ended before the runtime dir is cleaned.
  std::shared_ptr<ConsoleRelayCapability> console_relay;
  if (!config.console_relay.empty() && access(config.console_relay.c_str(), X_OK) == 0) {
    console_relay = std::make_shared<ConsoleRelayCapability>(config.console_relay, config.runtime_dir);
    capability_list.push_back(console_relay);
  } else {
    log::info("no console relay ({}): VMs get no interactive console", config.console_relay.empty()
                                                                           ? "[console] relay is empty"
                                                                           : config.console_relay.string() + " is missing");
  }
  for (const auto& name : backends.names()) {
    // Each backend boots its own kind of kernel from the image.
    auto kernel = backends.get(name).kernel_file();
    if (!kernel.empty())
      capability_list.push_back(
          std::make_shared<BackendScoped>(name, std::make_shared<ImageFiles>(store, config.state_dir, std::string(kernel), name,
                                                              name == backends.default_name(), config.runtime_dir)));
  }
  // Each VM's own uid, held from create to delete (issue 8), which its VMM runs as, QEMU or
  // Firecracker, jailed or not (issue 17, finding 3). One range, one set of claims.
  const auto vmm_ids = make_vmm_ids(config.firecracker, config.state_dir);
  if (vmm_ids)
    for (const char* backend : {"firecracker", "qemu"})
      capability_list.push_back(std::make_shared<BackendScoped>(backend, std::make_shared<JailerIdentity>(vmm_ids)));
  // After the root disk, so the work disk is the guest's second drive (/dev/vdb);
  // before nothing it depends on: its cleanup moves a kept disk out of the VM's directory.
  capability_list.push_back(std::make_shared<WorkDisk>(config.state_dir));
  capability_list.push_back(std::make_shared<NetworkAddress>(networks));
  TapGuardTable tap_guards;  // each tap's MAC and address pinned, the default network's ports apart
  std::shared_ptr<TapDevice> taps;
  // The guests' listening ports (VM.Ports), polled over SSH; only VMs on a network are polled.
  BusGuestPortsObserver bus_ports(loop, registry);
  // Each guest's pinned SSH host key, checked by every session bangerd opens to it.
  const GuestHostKeys host_keys(config.state_dir);
  GuestPortPoller port_poller(config.ports_interval, [&ssh_key, &host_keys](const std::string& vm_id,
                                                                            const std::string& address) {
    return std::make_unique<SshPortProbe>(address, ssh_key, host_keys.check_for(vm_id, vm_id));
  });
  port_poller.add_observer(bus_ports);
  std::shared_ptr<GuestPorts> guest_ports;
  std::shared_ptr<PortForwards> forwards;
  VmManager* vm_manager = nullptr;  // set below: SshAccess asks it whether a VM's VMM still runs
  if (host_taps) {
    // Every VMM opens its tap as the VM's own uid (or the fixed one; root when that is 0).
    TapDevice::OwnerOf tap_owner = [&config, vmm_ids](const VmRecord& vm) -> uid_t {
      if (vm.backend != "qemu" && vm.backend != "firecracker") return 0;
      return jail_owner_of(vmm_ids.get(), config.firecracker, vm.id).uid;
    };
    taps = std::make_shared<TapDevice>(attachments, *host_taps, std::move(tap_owner), &tap_guards);
    capability_list.push_back(taps);
    capability_list.push_back(std::make_shared<NatAccess>(attachments, networks));
    capability_list.push_back(dns);
    forwards = std::make_shared<PortForwards>(PortForwardsDeps{
        store, attachments, registry,
        [table = std::make_shared<PortForwardTable>()](const std::vector<ForwardRule>& rules) { table->apply(rules); },
        reserve_host_port, ForwardLimits{config.max_forwards_per_vm, config.max_forwards_per_owner},
        [&store](std::uint32_t owner) {
          std::vector<std::string> ids;
          for (const auto& vm : store.list_vms())
            if (vm.owner_uid == owner) ids.push_back(vm.id);
          return ids;
        }});
    capability_list.push_back(forwards);
    port_poller.add_observer(*forwards);  // automatic forwards follow the guest's ports
    SshAccessSettings ssh;
    ssh.timeout = config.ssh_timeout;
    // Last, so Start waits for SSH once everything else is in place.
    capability_list.push_back(std::make_shared<SshAccess>(
        attachments, ssh_key, host_keys,
        [&consoles](const std::string& id) { return consoles.tail(id, 4096); }, ssh,
        [&vm_manager](const std::string& id) {
          auto process = vm_manager != nullptr ? vm_manager->vmm_process(id) : std::nullopt;
          return process && is_running({process->pid, process->start_time});
        }));
    // After the SSH wait: polling starts once the guest answers.
    guest_ports = std::make_shared<GuestPorts>(attachments, port_poller);
    capability_list.push_back(guest_ports);
  }
  // Users' keys reach only guests bangerd itself can log in to; without host networking they are just stored.
  std::unique_ptr<SshGuestShell> guest_shell;
  if (host_taps) guest_shell = std::make_unique<SshGuestShell>(ssh_key, host_keys, std::chrono::seconds(30));
  // After ssh-access: its post_start waits until the guest takes bangerd's key.
  auto authorized_keys = std::make_shared<AuthorizedKeys>(AuthorizedKeys::Deps{
      store, attachments, guest_shell.get(), key_properties, parse_ssh_public_key(ssh_key.public_key()).blob});
  capability_list.push_back(authorized_keys);
  // After every other post_start: a VM is registered once it runs for good.
  auto machines = std::make_shared<MachineRegistration>(MachineRegistration::Deps{
      machined,
      [&vm_manager](const std::string& id) -> std::optional<pid_t> {
        auto process = vm_manager != nullptr ? vm_manager->vmm_process(id) : std::nullopt;
        if (!process) return std::nullopt;
        return process->pid;
      },
      host::tap_ifindices, host::in_cgroup_of_its_own, on_host_thread});
  capability_list.push_back(machines);
  capability_list.push_back(std::make_shared<LogindCheck>(logind));
  capability_list.push_back(std::make_shared<HostChecks>(HostCheckSettings{
      config.firecracker.binary, config.firecracker.jailer, config.qemu.binary, backends.default_name(),
      config.state_dir, kvm_verdict_file_in(config.runtime_dir), {config.doctor_disk_warn_mib, config.doctor_disk_fail_mib}, config.polkit}));
  for (auto& make : extensions.capabilities) capability_list.push_back(make(config));
  Capabilities capabilities(std::move(capability_list));

  ExitWatcher exits;
  WorkspaceLocks workspace_locks;
  // Live stats: the poller follows the VMs' states alongside the bus objects it feeds.
  VmStatsProperties stats_properties(loop, registry);
  stats::StatsPoller stats_poller(
      stats_properties,
      [&vm_manager](const std::string& id) {
        return vm_manager != nullptr ? vm_manager->vmm_process(id) : std::nullopt;
      },
      [](const VmRecord& vm) { return vm.network.empty() ? std::string() : net::tap_name_for(vm.id); });
  AutostartMarker autostart_marker(config.state_dir / "autostart");  // banger-autostart.service's condition
  VmEventsFanout vm_events{&registry, &stats_poller, &autostart_marker};
  HostDiskLedger disk_ledger(store, config.state_dir);  // [quotas] max_disk_mib
  HandlesFiles handles_files(config.runtime_dir);
  VmManager vms({store, backends, capabilities, vm_events, handles_files, &exits, &workspace_locks, &disk_ledger},
                {config.lock_timeout, std::chrono::duration_cast<std::chrono::milliseconds>(config.stop_timeout),
                 config.runtime_dir, config.state_dir / "deleting", config.quotas});
  vm_manager = &vms;
  // Host sleep and shutdown: follows the VMs from here on, before any can change.
  std::unique_ptr<SshGuestClock> guest_clock;
  if (guest_shell) guest_clock = std::make_unique<SshGuestClock>(attachments, *guest_shell);
  VmManagerPowerControl power_control(vms);
  HostPower host_power({power_control, logind, guest_clock.get(), on_host_thread});
  vm_events.add(host_power);
  exits.start([&vms](const std::string& id, const VmmProcess& process, const VmmExit& exit) {
    vms.vmm_exited(id, process, exit);
  });
  vms.recover();
  {
    std::vector<ProcessId> keep;
    for (const auto& p : vms.recorded_vmms()) keep.push_back({p.pid, p.start_time});
    // Recovery has ended the relays of VMs that no longer run; the others serve running VMs.
    if (console_relay)
      for (const auto& relay : console_relay->running_relays()) keep.push_back(relay);
    // Only processes of banger's uids: root, and the range each VMM gets a uid of its own from.
    const auto& fc = config.firecracker;
    const VmmUids vmm_uids = fc.jailer_uid_count > 0 ? VmmUids{fc.jailer_uid_base, fc.jailer_uid_count}
                                                     : VmmUids{fc.jailer_uid, 1};
    std::vector<std::string> vm_ids;
    for (const auto& vm : vms.list()) vm_ids.push_back(vm.id);
    if (int killed = kill_unrecorded_vmms(config.runtime_dir, keep, vmm_uids, vm_ids); killed > 0)
      log::warn("killed {} VMM process(es) that no VM records (bangerd crashed while starting them)", killed);
  }
  {
    // Root-disk devices (loop, device-mapper) of VMs that no longer run go; those of running VMs stay.
    std::set<std::string> running;
    for (const auto& vm : vms.list())
      if (vm.state == VmState::running || vm.state == VmState::starting || vm.state == VmState::stopping)
        running.insert(vm.id);
    if (int released = disks::RootDisks(config.state_dir, config.runtime_dir).recover(running); released > 0)
      log::info("released {} root-disk device(s) of VMs that no longer run", released);
  }
  if (taps) {
    // The taps of VMs that still run stay (their VMMs hold them open); any other is left over from a crash.
    std::set<std::string> keep;
    for (const auto& vm : vms.list())
      if (!vm.network.empty() && (vm.state == VmState::running || vm.state == VmState::starting ||
                                  vm.state == VmState::stopping))
        keep.insert(net::tap_name_for(vm.id));
    if (int removed = taps->remove_strays(keep); removed > 0)
      log::info("removed {} tap(s) that no running VM uses", removed);
    std::vector<VmRecord> guarded;
    for (const auto& vm : vms.list())
      if (keep.contains(net::tap_name_for(vm.id))) guarded.push_back(vm);
    taps->guard_only(guarded);
  }
  stats_poller.track_running(vms.list());
  host_power.track_running(vms.list());
  machines->register_running(vms.list());  // the VMs adopted by recover(); machined may know them already
  // After recovery, which settled the VMs that stopped while bangerd was away.
  if (forwards) forwards->restore(vms.list());
  if (guest_ports) guest_ports->watch_running(vms.list());  // the VMs adopted by recover()
  ImageManager images({store, registry}, config.state_dir);
  images.recover();

  Authorizer authorizer(*connection, config.polkit);
  auto pool = std::make_unique<WorkerPool>(config.workers);
  Workspaces workspaces({vms, attachments, workspace_locks, config.state_dir,
                         ssh_key},
                        {});
  VmGuestKeys guest_keys(vms, authorized_keys.get());
  VmForwards vm_forwards(vms, forwards.get());
  VmConsoles vm_consoles(vms, console_relay.get());
  BusContext ctx{*connection, loop, *pool, authorizer, vms, registry, images, networks,
                 CreateDefaults{config.default_vcpus, config.default_memory_mib, config.default_image},
                 probe_host_limits(), consoles, guest_keys, vm_forwards, vm_consoles, &workspaces};
  TransferSlots transfer_slots(config.max_transfers, config.max_transfers_per_user);
  auto transfer_threads = std::make_unique<WorkerPool>(config.max_transfers);
  ctx.transfer_slots = &transfer_slots;
  ctx.transfer_threads = transfer_threads.get();
  ctx.import_off_limits = {config.state_dir, config.runtime_dir};  // the images directory is in the state directory
  ManagerObject manager(ctx);
  ManagedObjectsResponder managed_objects(*connection, registry);
  host::LogindSignals logind_signals(*connection, host_power, on_host_thread);
  registry.load(ctx, vms.list(), images.list(), networks.list());
  for (auto& [vm_id, keys] : authorized_keys->all()) key_properties.show(vm_id, std::move(keys));
  if (forwards) forwards->publish_all(vms.list());
  autostart_marker.load(vms.list());
  // Take the name last, so no client ever sees a half-exported service.
  connection->requestName(bus::service_name);
  log::info("bangerd {} ready (default backend {}, state {}, {} VMs)", BANGER_VERSION, backends.default_name(),
            config.state_dir.string(), registry.records().size());

  {
    // Often enough that a chatty guest overshoots the cap by little.
    PeriodicTask console_cap(std::chrono::seconds(1), [&consoles] { consoles.cap_all(); });
    // machinectl poweroff VM: the signal machined sent the VMM, turned into a graceful stop on a worker.
    PoweroffRequests poweroffs({[&vms] { return vms.list(); },
                                [&vms](const std::string& id) -> std::optional<pid_t> {
                                  auto process = vms.vmm_process(id);
                                  if (!process) return std::nullopt;
                                  return process->pid;
                                },
                                [](pid_t pid) { return signal_pending(pid, machined_poweroff_signal()); },
                                [&vms, &pool](const VmRecord& vm) {
                                  pool->submit([&vms, id = vm.id, name = vm.name] {
                                    try {
                                      vms.stop(id, false);
                                    } catch (const std::exception& e) {
                                      log::warn("VM '{}': poweroff through machined failed: {}", name, e.what());
                                    }
                                  });
                                }});
    PeriodicTask poweroff_poll(std::chrono::seconds(1), [&poweroffs] { poweroffs.poll(); });
    // One timer for every VM's stats.
    std::optional<PeriodicTask> stats_rounds;
    if (config.stats_interval.count() > 0) stats_rounds.emplace(config.stats_interval, [&stats_poller] { stats_poller.poll(); });
    // After recovery and with the name taken, so clients see the VMs come up; joined before the objects go.
    // The record lives in the runtime directory (a tmpfs, empty after every boot): under
    // bangerd's sandbox in a systemd-nspawn container the kernel's boot id is the host's
    // (nspawn's own is mounted over /proc, which the sandbox remounts), so a container
    // reboot shows up only as an empty /run.
    std::jthread boot_starts = autostart_after_boot(
        extensions.boot_id_file.empty() ? kernel_boot_id_file : extensions.boot_id_file,
        config.runtime_dir / "boot_id", vms.list(), [&vms](const std::string& id) { vms.start(id); });
    loop.run();
  }
  exits.stop();  // no exit handling once the objects it reports to start going away
  port_poller.stop();  // nor port news
  connection->releaseName(bus::service_name);
  pool.reset();  // finish running jobs while the objects they report to still exist
  transfer_threads.reset();  // and transfers (a stalled caller's ends within client_idle_timeout)
  host_thread.reset();  // then machined's and logind's calls (the jobs above post some)
  registry.unload();
  log::info("bangerd stopped; running VMs keep running");
  return 0;
}

}  // namespace

int run_daemon(int argc, char** argv, DaemonExtensions extensions) {
  // Before any thread starts, so every thread inherits it and the event loop's
  // signalfd is the only receiver.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  // The exit watcher's signalfd is the only receiver of SIGCHLD.
  sigaddset(&stop_signals, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  log::use_journal(&host::send_to_journal);  // when stderr is the journal's stream

  CLI::App app{"bangerd: the banger microVM service (D-Bus name dev.banger.banger1)", "bangerd"};
  CommandLine cli;
  app.add_option("--config", cli.config, "TOML config file (default " BANGER_DEFAULT_CONFIG ", if present)");
  app.add_option("--state-dir", cli.state_dir, "state directory (overrides the config)");
  app.add_option("--runtime-dir", cli.runtime_dir, "runtime directory (overrides the config)");
  app.set_version_flag("--version", BANGER_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    Config config = load_config(cli.config);
    if (cli.state_dir) config.state_dir = *cli.state_dir;
    if (cli.runtime_dir) config.runtime_dir = *cli.runtime_dir;
    return serve(config, extensions);
  } catch (const ConfigError& e) {
    log::error("bad configuration: {}", e.what());
    return 2;
  } catch (const sdbus::Error& e) {
    log::error("D-Bus: {}: {}", e.getName(), e.getMessage());
    return 1;
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }
}

}  // namespace banger
