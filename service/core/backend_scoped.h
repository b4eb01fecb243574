#pragma once
#include <memory>
#include <string>

#include "core/capability.h"

namespace banger {

// A capability that serves only the VMs of one VMM backend, e.g. the image
// files of a backend that boots its own kind of kernel.
class BackendScoped final : public Capability {
 public:
  BackendScoped(std::string backend, std::shared_ptr<Capability> inner)
      : backend_(std::move(backend)), inner_(std::move(inner)) {}

  std::string_view name() const override { return inner_->name(); }
  void check_create(const VmRecord& vm) override {
    if (mine(vm)) inner_->check_create(vm);
  }
  void provision_clone(const VmRecord& source, VmRecord& clone, ProgressSink& progress) override {
    if (mine(clone)) inner_->provision_clone(source, clone, progress);
  }
  void provision_from_checkpoint(const VmRecord& source, const std::filesystem::path& dir, VmRecord& clone,
                                 ProgressSink& progress) override {
    if (mine(clone)) inner_->provision_from_checkpoint(source, dir, clone, progress);
  }
  void provision(VmRecord& vm, ProgressSink& progress) override {
    if (mine(vm)) inner_->provision(vm, progress);
  }
  void add_start_preflight(const VmRecord& vm, std::vector<PreflightCheck>& checks) override {
    if (mine(vm)) inner_->add_start_preflight(vm, checks);
  }
  void prepare_host(const VmRecord& vm) override {
    if (mine(vm)) inner_->prepare_host(vm);
  }
  void contribute_guest(const VmRecord& vm, GuestConfig& guest) override {
    if (mine(vm)) inner_->contribute_guest(vm, guest);
  }
  void contribute_machine(const VmRecord& vm, MachineConfig& machine) override {
    if (mine(vm)) inner_->contribute_machine(vm, machine);
  }
  void post_start(const VmRecord& vm) override {
    if (mine(vm)) inner_->post_start(vm);
  }
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override {
    if (mine(vm)) inner_->cleanup(vm, reason);
  }
  void apply_config_change(const VmRecord& before, const VmRecord& after) override {
    if (mine(before)) inner_->apply_config_change(before, after);
  }
  void save_disks(const VmRecord& vm, const std::filesystem::path& dir) override {
    if (mine(vm)) inner_->save_disks(vm, dir);
  }
  void restore_disks(const VmRecord& vm, const std::filesystem::path& dir) override {
    if (mine(vm)) inner_->restore_disks(vm, dir);
  }
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override { inner_->add_doctor_checks(checks); }

 private:
  bool mine(const VmRecord& vm) const { return vm.backend == backend_; }
  std::string backend_;
  std::shared_ptr<Capability> inner_;
};

}  // namespace banger
