#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/capabilities.h"
#include "core/errors.h"
#include "mock_capability.h"
#include "recording_events.h"

namespace banger {
namespace {

using ::testing::_;
using ::testing::InSequence;
using ::testing::Invoke;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::StrictMock;
using testing::MockCapability;

struct Fixture : ::testing::Test {
  std::shared_ptr<StrictMock<MockCapability>> a = std::make_shared<StrictMock<MockCapability>>();
  std::shared_ptr<StrictMock<MockCapability>> b = std::make_shared<StrictMock<MockCapability>>();
  std::shared_ptr<StrictMock<MockCapability>> c = std::make_shared<StrictMock<MockCapability>>();
  Capabilities caps{{a, b, c}};
  VmRecord vm;
  testing::NullProgress progress;
};

TEST_F(Fixture, BuildUpInOrderTearDownInReverse) {
  InSequence order;
  EXPECT_CALL(*a, prepare_host(_));
  EXPECT_CALL(*b, prepare_host(_));
  EXPECT_CALL(*c, prepare_host(_));
  EXPECT_CALL(*c, cleanup(_, CleanupReason::stopped));
  EXPECT_CALL(*b, cleanup(_, CleanupReason::stopped));
  EXPECT_CALL(*a, cleanup(_, CleanupReason::stopped));
  caps.prepare_host(vm);
  caps.cleanup(vm, CleanupReason::stopped);
}

TEST_F(Fixture, FailedPrepareCleansUpWhatRanIncludingTheFailingOneInReverse) {
  InSequence order;
  EXPECT_CALL(*a, prepare_host(_));
  EXPECT_CALL(*b, prepare_host(_)).WillOnce(Invoke([](const VmRecord&) {
    throw Error(ErrorKind::backend_failed, "no tap");
  }));
  EXPECT_CALL(*b, cleanup(_, CleanupReason::start_failed));
  EXPECT_CALL(*a, cleanup(_, CleanupReason::start_failed));
  EXPECT_THROW(caps.prepare_host(vm), Error);  // c never runs, never cleans
}

TEST_F(Fixture, FailedProvisionCleansUpForCreateFailed) {
  InSequence order;
  EXPECT_CALL(*a, provision(_, _));
  EXPECT_CALL(*b, provision(_, _));
  EXPECT_CALL(*c, provision(_, _)).WillOnce(Invoke([](const VmRecord&, ProgressSink&) {
    throw Error(ErrorKind::resource_exhausted, "disk full");
  }));
  EXPECT_CALL(*c, cleanup(_, CleanupReason::create_failed));
  EXPECT_CALL(*b, cleanup(_, CleanupReason::create_failed));
  EXPECT_CALL(*a, cleanup(_, CleanupReason::create_failed));
  try {
    caps.provision(vm, progress);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::resource_exhausted);
  }
}

TEST_F(Fixture, GuestContributionsComeBeforeMachineContributions) {
  InSequence order;
  EXPECT_CALL(*a, contribute_guest(_, _)).WillOnce(Invoke([](const VmRecord&, GuestConfig& g) {
    g.values["ip"] = "10.0.0.2";
  }));
  EXPECT_CALL(*b, contribute_guest(_, _));
  EXPECT_CALL(*c, contribute_guest(_, _));
  EXPECT_CALL(*a, contribute_machine(_, _));
  EXPECT_CALL(*b, contribute_machine(_, _)).WillOnce(Invoke([](const VmRecord&, MachineConfig& m) {
    m.kernel_args.push_back("ip=10.0.0.2");
  }));
  EXPECT_CALL(*c, contribute_machine(_, _));
  GuestConfig guest;
  MachineConfig machine;
  caps.contribute(vm, guest, machine);
  EXPECT_EQ(guest.values.at("ip"), "10.0.0.2");
  EXPECT_EQ(machine.kernel_args, std::vector<std::string>{"ip=10.0.0.2"});
}

TEST_F(Fixture, PreflightChecksAllRegisterBeforeAnyRuns) {
  std::vector<std::string> ran;
  EXPECT_CALL(*a, add_start_preflight(_, _)).WillOnce(Invoke([&](const VmRecord&, std::vector<PreflightCheck>& v) {
    v.push_back({"a", [&] { ran.push_back("a"); }});
  }));
  EXPECT_CALL(*b, add_start_preflight(_, _)).WillOnce(Invoke([&](const VmRecord&, std::vector<PreflightCheck>& v) {
    ran.push_back("b registered");
    v.push_back({"b", [&] { throw Error(ErrorKind::invalid_state, "kvm missing"); }});
  }));
  EXPECT_CALL(*c, add_start_preflight(_, _)).WillOnce(Invoke([&](const VmRecord&, std::vector<PreflightCheck>& v) {
    v.push_back({"c", [&] { ran.push_back("c"); }});
  }));
  EXPECT_THROW(caps.run_preflight(vm), Error);
  EXPECT_EQ(ran, (std::vector<std::string>{"b registered", "a"}));
}

TEST_F(Fixture, DoctorChecksAreCollectedInOrder) {
  EXPECT_CALL(*a, add_doctor_checks(_)).WillOnce(Invoke([](std::vector<DoctorCheck>& v) {
    v.push_back({"kvm", "ok", "", "", ""});
  }));
  EXPECT_CALL(*b, add_doctor_checks(_));
  EXPECT_CALL(*c, add_doctor_checks(_)).WillOnce(Invoke([](std::vector<DoctorCheck>& v) {
    v.push_back({"tun", "fail", "", "", ""});
  }));
  auto checks = caps.doctor_checks();
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].check, "kvm");
  EXPECT_EQ(checks[1].check, "tun");
}

}  // namespace
}  // namespace banger
