#pragma once
// Mocks of the host-integration seams (issue 16): machined, logind, the VMs
// HostPower acts on and the guests' clocks.
#include <gmock/gmock.h>

#include "core/guest_clock.h"
#include "core/host_power.h"
#include "core/login_manager.h"
#include "core/machine_registry.h"

namespace banger::testing {

class MockMachineRegistry : public MachineRegistry {
 public:
  MOCK_METHOD(std::string, unavailable, (), (override));
  MOCK_METHOD(void, register_machine, (const MachineEntry&), (override));
  MOCK_METHOD(void, unregister_machine, (const std::string&), (override));
};

class MockLoginManager : public LoginManager {
 public:
  MOCK_METHOD(std::string, unavailable, (), (override));
  MOCK_METHOD(UniqueFd, inhibit_sleep_and_shutdown, (const std::string&), (override));
  MOCK_METHOD(std::chrono::microseconds, inhibit_delay_max, (), (override));
};

class MockPowerControlledVms : public PowerControlledVms {
 public:
  MOCK_METHOD(std::vector<VmRecord>, running, (), (override));
  MOCK_METHOD(void, pause, (const VmRecord&), (override));
  MOCK_METHOD(void, resume, (const VmRecord&), (override));
  MOCK_METHOD(void, stop, (const VmRecord&, std::chrono::milliseconds), (override));
  MOCK_METHOD(void, suspend, (const VmRecord&, std::chrono::milliseconds), (override));
};

class MockGuestClock : public GuestClock {
 public:
  MOCK_METHOD(void, set, (const VmRecord&, std::chrono::system_clock::time_point), (override));
};

}  // namespace banger::testing
