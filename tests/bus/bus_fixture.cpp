#include <iostream>
#include <memory>
#include <string>

#include "bus_environment.h"

namespace banger::test {

void BusTest::SetUpTestSuite() {
  skip_ = BusEnvironment::skip_reason();
  setup_error_.clear();
  if (!skip_.empty()) return;
  env_ = std::make_unique<BusEnvironment>();
  try {
    env_->start();
  } catch (const std::exception& e) {
    setup_error_ = std::string("bus environment did not come up: ") + e.what() + "\n" + env_->logs();
  }
}

void BusTest::TearDownTestSuite() {
  if (!env_) return;
  const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
  if (suite && suite->Failed() && setup_error_.empty())
    std::cerr << "bus environment logs (" << env_->dir() << "):\n" << env_->logs();
  env_.reset();
}

void BusTest::SetUp() {
  if (!skip_.empty()) GTEST_SKIP() << skip_;
  ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  env_->set_faults({});
}

}  // namespace banger::test
