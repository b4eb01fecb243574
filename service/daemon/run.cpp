#include "daemon/run.h"

#include <optional>
#include <thread>

#include "banger/bus_names.h"
#include "core/autostart.h"
#include "core/boot_id.h"
#include "core/idle_suspend.h"
#include "core/log.h"
#include "core/periodic_task.h"
#include "core/poweroff_requests.h"
#include "daemon/idle_signals.h"
#include "vmm/process.h"

namespace banger {

namespace {

// machinectl poweroff VM: the signal machined sent the VMM, turned into a graceful stop on a worker.
PoweroffRequests::Deps poweroffs_of(VmManager& vms, WorkerPool& pool) {
  return {[&vms] { return vms.list(); },
          [&vms](const std::string& id) -> std::optional<pid_t> {
            auto process = vms.vmm_process(id);
            if (!process) return std::nullopt;
            return process->pid;
          },
          [](pid_t pid) { return signal_pending(pid, machined_poweroff_signal()); },
          [&vms, &pool](const VmRecord& vm) {
            pool.submit([&vms, id = vm.id, name = vm.name] {
              try {
                vms.stop(id, false);
              } catch (const std::exception& e) {
                log::warn("VM '{}': poweroff through machined failed: {}", name, e.what());
              }
            });
          }};
}

// After recovery and with the name taken, so clients see the VMs come up; joined before the objects go.
// The record lives in the runtime directory (a tmpfs, empty after every boot): under
// bangerd's sandbox in a systemd-nspawn container the kernel's boot id is the host's
// (nspawn's own is mounted over /proc, which the sandbox remounts), so a container
// reboot shows up only as an empty /run.
std::jthread autostart(const DaemonLayers& l) {
  auto& vms = l.managers.vms;
  return autostart_after_boot(
      l.extensions.boot_id_file.empty() ? kernel_boot_id_file : l.extensions.boot_id_file,
      l.config.runtime_dir / "boot_id", vms.list(), [&vms](const std::string& id) { vms.start(id); });
}

// Idle sleep: suspends the VMs idle for their IdleSuspendSeconds. A VM busy
// with another verb is not waited for: the detector tries again later.
IdleSuspender::Deps idle_suspender_of(const DaemonLayers& l, IdleSignals& signals) {
  auto& vms = l.managers.vms;
  return {[&vms] { return vms.list(); }, signals, [&vms](const VmRecord& vm, const std::string& note) {
            vms.suspend(vm.id, std::chrono::milliseconds(100), note);
          }};
}

}  // namespace

int run_until_stopped(const DaemonLayers& l, ExportedObjects& exported) {
  {
    auto& consoles = l.host.consoles;
    auto& stats = l.managers.stats_poller;
    // Often enough that a chatty guest overshoots the cap by little.
    PeriodicTask console_cap(std::chrono::seconds(1), [&consoles] { consoles.cap_all(); });
    PoweroffRequests poweroffs(poweroffs_of(l.managers.vms, *exported.pool));
    PeriodicTask poweroff_poll(std::chrono::seconds(1), [&poweroffs] { poweroffs.poll(); });
    // One timer for every VM's stats.
    std::optional<PeriodicTask> stats_rounds;
    if (l.config.stats_interval.count() > 0) stats_rounds.emplace(l.config.stats_interval, [&stats] { stats.poll(); });
    HostIdleSignals idle_signals(l.storage, l.managers.sessions);
    IdleSuspender idle(idle_suspender_of(l, idle_signals), l.config.idle_cpu_percent);
    // Every few seconds: the shortest IdleSuspendSeconds is 5 (core/options.h).
    PeriodicTask idle_looks(std::chrono::seconds(2), [&idle] { idle.tick(); });
    std::jthread boot_starts = autostart(l);
    l.bus.loop.run();
  }
  stop_serving(l, exported);
  return 0;
}

void stop_serving(const DaemonLayers& l, ExportedObjects& exported) {
  l.managers.exits.stop();  // no exit handling once the objects it reports to start going away
  l.host.port_poller.stop();  // nor port news
  l.bus.connection->releaseName(bus::service_name);
  exported.pool.reset();  // finish running jobs while the objects they report to still exist
  exported.transfer_threads.reset();  // and transfers (a stalled caller's ends within client_idle_timeout)
  l.host.host_thread.reset();  // then machined's and logind's calls (the jobs above post some)
  l.bus.registry.unload();
  log::info("bangerd stopped; running VMs keep running");
}

}  // namespace banger
