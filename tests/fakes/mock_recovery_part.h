#pragma once
#include <gmock/gmock.h>

#include "core/start_up_recovery.h"

namespace banger::testing {

class MockRecoveryPart : public RecoveryPart {
 public:
  MOCK_METHOD(std::string_view, name, (), (const, override));
  MOCK_METHOD(void, sweep, (const RecoveredVms&), (override));
  MOCK_METHOD(void, follow, (const std::vector<VmRecord>&), (override));
};

}  // namespace banger::testing
