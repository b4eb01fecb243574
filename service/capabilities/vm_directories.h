#pragma once
#include <filesystem>

#include "core/capability.h"

namespace banger {

// Each VM's two host directories: <state>/vms/<id> (lasting files: disks come
// here later) made at create and removed at delete, and <runtime>/vms/<id>
// (sockets, logs, pid files) made at start and emptied at stop but for the
// console log, which stays until the next start or the delete.
class VmDirectories : public Capability {
 public:
  VmDirectories(std::filesystem::path state_dir, std::filesystem::path runtime_dir);

  std::string_view name() const override { return "vm-directories"; }
  void provision(VmRecord& vm, ProgressSink& progress) override;
  void prepare_host(const VmRecord& vm) override;
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;

  std::filesystem::path state_dir_of(const VmRecord& vm) const;
  std::filesystem::path runtime_dir_of(const VmRecord& vm) const;

 private:
  std::filesystem::path state_root_;
  std::filesystem::path runtime_root_;
};

}  // namespace banger
