#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "core/capability.h"

namespace banger {

// Runs every capability's hook in a fixed order: registration order to build
// up, reverse order to tear down. When a build-up hook fails, the capabilities
// already run (and the failing one, which may be half-done) are cleaned up in
// reverse before the error propagates, so nothing is left behind.
class Capabilities {
 public:
  explicit Capabilities(std::vector<std::shared_ptr<Capability>> capabilities);

  void check_create(const VmRecord& vm);
  void provision(VmRecord& vm, ProgressSink& progress);
  void provision_clone(const VmRecord& source, VmRecord& clone, ProgressSink& progress);
  void provision_from_checkpoint(const VmRecord& source, const std::filesystem::path& dir, VmRecord& clone,
                                 ProgressSink& progress);
  void run_preflight(const VmRecord& vm);
  void prepare_host(const VmRecord& vm);
  void contribute(const VmRecord& vm, GuestConfig& guest, MachineConfig& machine);
  void post_start(const VmRecord& vm);
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept;
  void before_pause(const VmRecord& vm) noexcept;
  void after_resume(const VmRecord& vm) noexcept;
  void apply_config_change(const VmRecord& before, const VmRecord& after);
  void save_disks(const VmRecord& vm, const std::filesystem::path& dir);
  void restore_disks(const VmRecord& vm, const std::filesystem::path& dir);
  std::vector<DoctorCheck> doctor_checks();

  std::size_t size() const { return capabilities_.size(); }

 private:
  void cleanup_from(std::size_t last, const VmRecord& vm, CleanupReason reason) noexcept;
  // Runs `hook` on each capability for a VM being made; on a failure, cleans up after all run so far.
  void provision_each(VmRecord& vm, const std::function<void(Capability&)>& hook);

  std::vector<std::shared_ptr<Capability>> capabilities_;
};

}  // namespace banger
