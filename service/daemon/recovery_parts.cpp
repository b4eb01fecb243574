#include "daemon/recovery_parts.h"

#include <functional>
#include <set>
#include <string>

#include "core/log.h"
#include "disks/root_disk.h"
#include "net/taps.h"
#include "vmm/process.h"

namespace banger {

namespace {

// VMM processes no VM records: bangerd crashed between launching them and writing their handles.
class OrphanVmms final : public RecoveryPart {
 public:
  OrphanVmms(const Config& config, const ConsoleRelayCapability* relays) : config_(config), relays_(relays) {}
  std::string_view name() const override { return "orphan-vmms"; }

  void sweep(const RecoveredVms& recovered) override {
    std::vector<ProcessId> keep;
    for (const auto& p : recovered.recorded_vmms) keep.push_back({p.pid, p.start_time});
    // Recovery has ended the relays of VMs that no longer run; the others serve running VMs.
    if (relays_ != nullptr)
      for (const auto& relay : relays_->running_relays()) keep.push_back(relay);
    // Only processes of banger's uids: root, and the range each VMM gets a uid of its own from.
    const auto& fc = config_.firecracker;
    const VmmUids vmm_uids = fc.jailer_uid_count > 0 ? VmmUids{fc.jailer_uid_base, fc.jailer_uid_count}
                                                     : VmmUids{fc.jailer_uid, 1};
    std::vector<std::string> vm_ids;  // an unjailed Firecracker of a VM's uid is named by its --id
    for (const auto& vm : recovered.vms) vm_ids.push_back(vm.id);
    if (int killed = kill_unrecorded_vmms(config_.runtime_dir, keep, vmm_uids, vm_ids); killed > 0)
      log::warn("killed {} VMM process(es) that no VM records (bangerd crashed while starting them)", killed);
  }

 private:
  const Config& config_;
  const ConsoleRelayCapability* relays_;  // none without the console relay
};

// Root-disk devices (loop, device-mapper) of VMs that no longer run; those of running VMs stay.
class RootDiskDevices final : public RecoveryPart {
 public:
  explicit RootDiskDevices(const Config& config) : config_(config) {}
  std::string_view name() const override { return "root-disk-devices"; }

  void sweep(const RecoveredVms& recovered) override {
    std::set<std::string> running;
    for (const auto& vm : recovered.vms)
      if (vmm_may_run(vm.state)) running.insert(vm.id);
    if (int released = disks::RootDisks(config_.state_dir, config_.runtime_dir).recover(running); released > 0)
      log::info("released {} root-disk device(s) of VMs that no longer run", released);
  }

 private:
  const Config& config_;
};

// Taps left over from a crash; the taps of VMs that still run stay (their VMMs hold them
// open), and only theirs are guarded.
class StrayTaps final : public RecoveryPart {
 public:
  explicit StrayTaps(TapDevice& taps) : taps_(taps) {}
  std::string_view name() const override { return "stray-taps"; }

  void sweep(const RecoveredVms& recovered) override {
    std::set<std::string> keep;
    std::vector<VmRecord> guarded;
    for (const auto& vm : recovered.vms)
      if (!vm.network.empty() && vmm_may_run(vm.state)) {
        keep.insert(net::tap_name_for(vm.id));
        guarded.push_back(vm);
      }
    if (int removed = taps_.remove_strays(keep); removed > 0)
      log::info("removed {} tap(s) that no running VM uses", removed);
    taps_.guard_only(guarded);
  }

 private:
  TapDevice& taps_;
};

// Something that follows running VMs through their events, told of those recovery adopted.
class Following final : public RecoveryPart {
 public:
  using Follow = std::function<void(const std::vector<VmRecord>&)>;
  Following(std::string_view name, Follow follow) : name_(name), follow_(std::move(follow)) {}
  std::string_view name() const override { return name_; }
  void follow(const std::vector<VmRecord>& vms) override { follow_(vms); }

 private:
  std::string_view name_;
  Follow follow_;
};

template <typename Part, typename... Args>
std::shared_ptr<RecoveryPart> part(Args&&... args) {
  return std::make_shared<Part>(std::forward<Args>(args)...);
}

}  // namespace

std::vector<std::shared_ptr<RecoveryPart>> recovery_parts(const Config& config, CapabilitySet& capabilities,
                                                          Managers& managers) {
  auto& c = capabilities;
  std::vector<std::shared_ptr<RecoveryPart>> parts{
      part<OrphanVmms>(config, c.console_relay.get()),
      part<RootDiskDevices>(config),
      c.taps ? part<StrayTaps>(*c.taps) : nullptr,
      part<Following>("stats", [&managers](const auto& vms) { managers.stats_poller.track_running(vms); }),
      part<Following>("host-power", [&managers](const auto& vms) { managers.host_power.track_running(vms); }),
      // machined may know them already.
      part<Following>("machined", [&c](const auto& vms) { c.machines->register_running(vms); }),
      c.forwards ? part<Following>("forwards", [&c](const auto& vms) { c.forwards->restore(vms); }) : nullptr,
      c.guest_ports ? part<Following>("guest-ports", [&c](const auto& vms) { c.guest_ports->watch_running(vms); })
                    : nullptr,
  };
  std::erase(parts, nullptr);
  return parts;
}

}  // namespace banger
