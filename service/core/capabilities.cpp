#include "core/capabilities.h"

#include "core/fault_points.h"
#include "core/log.h"

namespace banger {

std::string_view to_string(CleanupReason reason) {
  switch (reason) {
    case CleanupReason::create_failed: return "create-failed";
    case CleanupReason::start_failed: return "start-failed";
    case CleanupReason::stopped: return "stopped";
    case CleanupReason::deleted: return "deleted";
    case CleanupReason::suspended: return "suspended";
  }
  return "?";
}

Capabilities::Capabilities(std::vector<std::shared_ptr<Capability>> capabilities)
    : capabilities_(std::move(capabilities)) {}

void Capabilities::check_create(const VmRecord& vm) {
  for (auto& c : capabilities_) c->check_create(vm);
}

void Capabilities::provision_each(VmRecord& vm, const std::function<void(Capability&)>& hook) {
  for (std::size_t i = 0; i < capabilities_.size(); ++i) {
    try {
      hook(*capabilities_[i]);
    } catch (...) {
      cleanup_from(i, vm, CleanupReason::create_failed);
      throw;
    }
  }
}

void Capabilities::provision(VmRecord& vm, ProgressSink& progress) {
  provision_each(vm, [&](Capability& c) {
    c.provision(vm, progress);
    BANGER_FAULT_POINT("create.capability-provisioned");
  });
}

void Capabilities::provision_clone(const VmRecord& source, VmRecord& clone, ProgressSink& progress) {
  provision_each(clone, [&](Capability& c) {
    c.provision_clone(source, clone, progress);
    BANGER_FAULT_POINT("clone.capability-provisioned");
  });
}

void Capabilities::provision_from_checkpoint(const VmRecord& source, const std::filesystem::path& dir,
                                             VmRecord& clone, ProgressSink& progress) {
  provision_each(clone, [&](Capability& c) { c.provision_from_checkpoint(source, dir, clone, progress); });
}

void Capabilities::run_preflight(const VmRecord& vm) {
  std::vector<PreflightCheck> checks;
  for (auto& c : capabilities_) c->add_start_preflight(vm, checks);
  for (auto& check : checks) check.run();
}

void Capabilities::prepare_host(const VmRecord& vm) {
  for (std::size_t i = 0; i < capabilities_.size(); ++i) {
    try {
      capabilities_[i]->prepare_host(vm);
      BANGER_FAULT_POINT("start.capability-prepared");
    } catch (...) {
      cleanup_from(i, vm, CleanupReason::start_failed);
      throw;
    }
  }
}

void Capabilities::contribute(const VmRecord& vm, GuestConfig& guest, MachineConfig& machine) {
  for (auto& c : capabilities_) c->contribute_guest(vm, guest);
  for (auto& c : capabilities_) c->contribute_machine(vm, machine);
}

void Capabilities::post_start(const VmRecord& vm) {
  for (auto& c : capabilities_) c->post_start(vm);
}

void Capabilities::before_pause(const VmRecord& vm) noexcept {
  for (auto& c : capabilities_) c->before_pause(vm);
}

void Capabilities::after_resume(const VmRecord& vm) noexcept {
  for (auto& c : capabilities_) c->after_resume(vm);
}

void Capabilities::cleanup(const VmRecord& vm, CleanupReason reason) noexcept {
  if (!capabilities_.empty()) cleanup_from(capabilities_.size() - 1, vm, reason);
}

void Capabilities::cleanup_from(std::size_t last, const VmRecord& vm, CleanupReason reason) noexcept {
  for (std::size_t i = last + 1; i-- > 0;) {
    capabilities_[i]->cleanup(vm, reason);
    BANGER_FAULT_POINT("cleanup.capability-done");
  }
}

void Capabilities::apply_config_change(const VmRecord& before, const VmRecord& after) {
  for (auto& c : capabilities_) c->apply_config_change(before, after);
}

// A failure leaves the copies made so far: they are in the checkpoint's directory, which the caller removes.
void Capabilities::save_disks(const VmRecord& vm, const std::filesystem::path& dir) {
  for (auto& c : capabilities_) c->save_disks(vm, dir);
}

void Capabilities::restore_disks(const VmRecord& vm, const std::filesystem::path& dir) {
  for (auto& c : capabilities_) c->restore_disks(vm, dir);
}

std::vector<DoctorCheck> Capabilities::doctor_checks() {
  std::vector<DoctorCheck> checks;
  for (auto& c : capabilities_) c->add_doctor_checks(checks);
  return checks;
}

}  // namespace banger
