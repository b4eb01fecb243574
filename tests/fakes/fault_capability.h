#pragma once
#include "core/capability.h"

namespace banger::testing {

// Lets bus tests fail or slow down provisioning: faults "provision" and
// "provision-delay-ms=N" (progress is reported in steps meanwhile).
class FaultCapability final : public Capability {
 public:
  std::string_view name() const override { return "test-faults"; }
  void provision(VmRecord& vm, ProgressSink& progress) override;
};

}  // namespace banger::testing
