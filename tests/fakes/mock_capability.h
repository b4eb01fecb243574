#pragma once
#include <gmock/gmock.h>

#include "core/capability.h"

namespace banger::testing {

class MockCapability : public Capability {
 public:
  MOCK_METHOD(std::string_view, name, (), (const, override));
  MOCK_METHOD(void, check_create, (const VmRecord&), (override));
  MOCK_METHOD(void, provision, (VmRecord&, ProgressSink&), (override));
  MOCK_METHOD(void, provision_clone, (const VmRecord&, VmRecord&, ProgressSink&), (override));
  MOCK_METHOD(void, provision_from_checkpoint, (const VmRecord&, const std::filesystem::path&, VmRecord&, ProgressSink&),
              (override));
  MOCK_METHOD(void, add_start_preflight, (const VmRecord&, std::vector<PreflightCheck>&), (override));
  MOCK_METHOD(void, prepare_host, (const VmRecord&), (override));
  MOCK_METHOD(void, contribute_guest, (const VmRecord&, GuestConfig&), (override));
  MOCK_METHOD(void, contribute_machine, (const VmRecord&, MachineConfig&), (override));
  MOCK_METHOD(void, post_start, (const VmRecord&), (override));
  MOCK_METHOD(void, cleanup, (const VmRecord&, CleanupReason), (noexcept, override));
  MOCK_METHOD(void, before_pause, (const VmRecord&), (noexcept, override));
  MOCK_METHOD(void, after_resume, (const VmRecord&), (noexcept, override));
  MOCK_METHOD(void, apply_config_change, (const VmRecord&, const VmRecord&), (override));
  MOCK_METHOD(void, save_disks, (const VmRecord&, const std::filesystem::path&), (override));
  MOCK_METHOD(void, restore_disks, (const VmRecord&, const std::filesystem::path&), (override));
  MOCK_METHOD(void, add_doctor_checks, (std::vector<DoctorCheck>&), (override));
};

}  // namespace banger::testing
