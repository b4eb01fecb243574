#pragma once
#include <gmock/gmock.h>

#include "core/vmm_backend.h"

namespace banger::testing {

class MockVmmBackend : public VmmBackend {
 public:
  MOCK_METHOD(std::string_view, name, (), (const, override));
  MOCK_METHOD(std::string_view, kernel_file, (), (const, override));
  MOCK_METHOD(std::string, launch, (const MachineConfig&), (override));
  MOCK_METHOD(void, configure, (const std::string&, const MachineConfig&), (override));
  MOCK_METHOD(void, start, (const std::string&), (override));
  MOCK_METHOD(void, stop, (const std::string&, std::chrono::milliseconds), (override));
  MOCK_METHOD(void, kill, (const std::string&), (override));
  MOCK_METHOD(void, pause, (const std::string&), (override));
  MOCK_METHOD(void, resume, (const std::string&), (override));
  MOCK_METHOD(VmmStatus, status, (const std::string&), (override));
  MOCK_METHOD(bool, adopt, (const std::string&), (override));
  MOCK_METHOD(std::optional<int>, exit_code, (const std::string&), (override));
  MOCK_METHOD(bool, fall_back_after_failed_start, (const std::string&), (override));
  MOCK_METHOD(std::string, saved_state_format, (const MachineConfig&), (const, override));
  MOCK_METHOD(std::uint64_t, save_state, (const std::string&, const std::filesystem::path&), (override));
};

}  // namespace banger::testing
