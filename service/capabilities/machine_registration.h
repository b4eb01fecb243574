#pragma once
#include <sys/types.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/capability.h"
#include "core/machine_registry.h"

namespace banger {

// Registers each running VM with the host's machine registry (systemd-machined,
// issue 16): when it has started, again for the VMs adopted after a bangerd
// restart, and under its new name when renamed while running; unregisters it
// when it stops, is killed, dies or is deleted. Best effort: every call to the
// registry goes through `post` (one thread, in order), so a Start never waits
// for it nor fails by it; failures are logged.
class MachineRegistration final : public Capability {
 public:
  using Post = std::function<void(std::function<void()>)>;
  struct Deps {
    MachineRegistry& registry;
    // The pid of the VM's VMM; nullopt when it has none.
    std::function<std::optional<pid_t>(const std::string& vm_id)> leader_of;
    // The host's ends of the VM's NICs (its tap); empty without a network.
    std::function<std::vector<int>(const VmRecord& vm)> ifindices_of;
    // Whether the VMM `pid` sits in a cgroup other than bangerd's (MachineEntry::in_own_cgroup).
    std::function<bool(pid_t pid)> in_own_cgroup;
    Post post;
  };
  explicit MachineRegistration(Deps deps) : deps_(std::move(deps)) {}

  std::string_view name() const override { return "machine-registration"; }
  void post_start(const VmRecord& vm) override;
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;
  void apply_config_change(const VmRecord& before, const VmRecord& after) override;
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override;

  // At start-up, after recover(): the running VMs, registered again.
  void register_running(const std::vector<VmRecord>& vms);
  // The names registered, by VM id (for the tests).
  std::map<std::string, std::string> registered() const;

 private:
  void register_vm(const VmRecord& vm);
  void unregister_vm(const std::string& vm_id);

  Deps deps_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> registered_;  // VM id → the name machined knows it by
};

}  // namespace banger
