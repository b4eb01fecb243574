#pragma once
#include "core/host_power.h"
#include "core/vm_manager.h"

namespace banger {

// HostPower's view of the VMs, answered by the VmManager.
class VmManagerPowerControl final : public PowerControlledVms {
 public:
  // `pause_wait`: how long a pause waits for a VM another operation holds;
  // logind's delay is short, so not long.
  explicit VmManagerPowerControl(VmManager& vms, std::chrono::milliseconds pause_wait = std::chrono::seconds(1))
      : vms_(vms), pause_wait_(pause_wait) {}

  std::vector<VmRecord> running() override {
    std::vector<VmRecord> out;
    for (auto& vm : vms_.list())
      if (holds_vmm_resources(vm.state)) out.push_back(std::move(vm));  // paused ones too: shutdown stops them
    return out;
  }
  void pause(const VmRecord& vm) override { vms_.pause_vmm(vm.id, pause_wait_); }
  void resume(const VmRecord& vm) override { vms_.resume_vmm(vm.id); }
  void stop(const VmRecord& vm, std::chrono::milliseconds within) override { vms_.stop_within(vm.id, within); }
  void suspend(const VmRecord& vm, std::chrono::milliseconds wait) override { vms_.suspend(vm.id, wait); }

 private:
  VmManager& vms_;
  std::chrono::milliseconds pause_wait_;
};

}  // namespace banger
