#pragma once
#include <memory>

#include "core/capability.h"
#include "vmm/firecracker/jailer_ids.h"

namespace banger {

// A jailed Firecracker VM's own uid (JailerIds): taken at create (so CreateVM
// itself answers ResourceExhausted when the range is used up), kept across
// starts and given back at delete. Scoped to Firecracker VMs by the daemon.
class JailerIdentity final : public Capability {
 public:
  explicit JailerIdentity(std::shared_ptr<JailerIds> ids) : ids_(std::move(ids)) {}

  std::string_view name() const override { return "jailer-uid"; }
  void check_create(const VmRecord& vm) override;
  void provision(VmRecord& vm, ProgressSink& progress) override;
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;

 private:
  std::shared_ptr<JailerIds> ids_;
};

}  // namespace banger
