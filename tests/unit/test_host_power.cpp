// HostPower (issue 16): logind's inhibitor lock follows the running VMs; sleep
// pauses and resumes them, shutdown stops them. No bus: logind and the VMs are mocks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <poll.h>
#include <unistd.h>

#include <deque>

#include "core/errors.h"
#include "capabilities/logind_check.h"
#include "core/host_power.h"
#include "mock_host_seams.h"

namespace banger {
namespace {

using namespace std::chrono_literals;
using ::testing::_;
using ::testing::InSequence;
using ::testing::Invoke;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::StrictMock;
using ::testing::SaveArg;
using ::testing::Throw;
using testing::MockGuestClock;
using testing::MockLoginManager;
using testing::MockPowerControlledVms;

VmRecord vm_in(const std::string& id, VmState state) {
  VmRecord vm;
  vm.id = id;
  vm.name = "vm-" + id;
  vm.state = state;
  return vm;
}

// An inhibitor lock as logind hands it out: the write end of a pipe; the test
// keeps the read end, which sees the hang-up once every copy is closed.
struct FakeLock {
  UniqueFd read_end;
  UniqueFd take() {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    read_end = UniqueFd(fds[0]);
    return UniqueFd(fds[1]);
  }
  bool released() const {
    pollfd p{read_end.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
  }
};

struct HostPowerTest : ::testing::Test {
  NiceMock<MockPowerControlledVms> vms;
  NiceMock<MockLoginManager> logind;
  NiceMock<MockGuestClock> clock;
  std::deque<std::function<void()>> posted;
  bool run_inline = true;
  HostPower power{{vms, logind, &clock, [this](std::function<void()> job) {
                     if (run_inline)
                       job();
                     else
                       posted.push_back(std::move(job));
                   }}};
  std::vector<FakeLock> locks{8};
  std::size_t next_lock = 0;
  std::vector<std::string> reasons;

  HostPowerTest() {
    ON_CALL(logind, inhibit_sleep_and_shutdown(_)).WillByDefault(Invoke([this](const std::string& why) {
      reasons.push_back(why);
      return locks.at(next_lock++).take();
    }));
    ON_CALL(logind, inhibit_delay_max()).WillByDefault(Return(5s));
  }
  void start(const std::string& id) {
    power.vm_changed(vm_in(id, VmState::created), vm_in(id, VmState::starting), "start requested");
    power.vm_changed(vm_in(id, VmState::starting), vm_in(id, VmState::running), "started");
  }
  void stop(const std::string& id) {
    power.vm_changed(vm_in(id, VmState::running), vm_in(id, VmState::stopping), "stop requested");
    power.vm_changed(vm_in(id, VmState::stopping), vm_in(id, VmState::stopped), "stopped");
  }
};

TEST_F(HostPowerTest, NoLockWithoutRunningVms) {
  EXPECT_CALL(logind, inhibit_sleep_and_shutdown(_)).Times(0);
  power.vm_changed(vm_in("a", VmState::creating), vm_in("a", VmState::created), {});
  EXPECT_FALSE(power.holds_lock());
}

TEST_F(HostPowerTest, LockFollowsTheNumberOfRunningVms) {
  start("a");
  ASSERT_TRUE(power.holds_lock());
  EXPECT_EQ(power.lock_reason(), "1 VM running");
  EXPECT_FALSE(locks[0].released());

  start("b");
  EXPECT_EQ(reasons, (std::vector<std::string>{"1 VM running", "2 VMs running"}));
  EXPECT_TRUE(locks[0].released()) << "the old lock goes once the new one is held";
  EXPECT_FALSE(locks[1].released());

  stop("a");
  EXPECT_EQ(power.lock_reason(), "1 VM running");
  EXPECT_TRUE(locks[1].released());
  power.vm_removed(vm_in("b", VmState::failed));
  EXPECT_FALSE(power.holds_lock());
  EXPECT_TRUE(locks[2].released()) << "no VM runs: no lock";
}

TEST_F(HostPowerTest, AdoptedVmsTakeTheLock) {
  power.track_running({vm_in("a", VmState::running), vm_in("b", VmState::stopped)});
  EXPECT_EQ(power.lock_reason(), "1 VM running");
}

TEST_F(HostPowerTest, LogindIsNeverAskedOnTheCallersThread) {
  run_inline = false;
  EXPECT_CALL(logind, inhibit_sleep_and_shutdown(_)).Times(0);
  start("a");
  ::testing::Mock::VerifyAndClearExpectations(&logind);
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_CALL(logind, inhibit_sleep_and_shutdown("1 VM running")).WillOnce(Invoke([this](const std::string&) {
    return locks[0].take();
  }));
  posted.front()();
  EXPECT_TRUE(power.holds_lock());
}

TEST_F(HostPowerTest, WithoutLogindNothingFails) {
  EXPECT_CALL(logind, inhibit_sleep_and_shutdown(_))
      .WillRepeatedly(Invoke([](const std::string&) -> UniqueFd {
        throw Error(ErrorKind::backend_failed, "org.freedesktop.login1 is not on the system bus");
      }));
  EXPECT_NO_THROW(start("a"));
  EXPECT_FALSE(power.holds_lock());
  EXPECT_CALL(vms, running()).WillOnce(Return(std::vector<VmRecord>{vm_in("a", VmState::running)}));
  EXPECT_NO_THROW(power.before_sleep());
  EXPECT_NO_THROW(power.after_sleep());
}

TEST_F(HostPowerTest, SleepPausesEveryRunningVmBeforeLettingGo) {
  start("a");
  start("b");
  EXPECT_CALL(vms, running())
      .WillOnce(Return(std::vector<VmRecord>{vm_in("a", VmState::running), vm_in("b", VmState::running)}));
  EXPECT_CALL(vms, pause(_)).Times(2).WillRepeatedly(Invoke([this](const VmRecord&) {
    EXPECT_TRUE(power.holds_lock()) << "logind must wait until the VMs are paused";
  }));
  power.before_sleep();
  EXPECT_FALSE(power.holds_lock());
  EXPECT_TRUE(locks[1].released());
}

TEST_F(HostPowerTest, NoLockWhileAsleepEvenWhenVmsChange) {
  start("a");
  ON_CALL(vms, running()).WillByDefault(Return(std::vector<VmRecord>{vm_in("a", VmState::running)}));
  power.before_sleep();
  start("b");
  EXPECT_FALSE(power.holds_lock());
}

TEST_F(HostPowerTest, WakingResumesThePausedVmsRetakesTheLockAndSetsTheirClocks) {
  start("a");
  start("b");
  EXPECT_CALL(vms, running())
      .WillOnce(Return(std::vector<VmRecord>{vm_in("a", VmState::running), vm_in("b", VmState::running)}));
  EXPECT_CALL(vms, pause(_)).WillOnce(Return()).WillOnce(Invoke([](const VmRecord&) {
    throw Error(ErrorKind::busy, "VM b is busy");
  }));
  power.before_sleep();

  std::vector<std::string> resumed, clocked;
  EXPECT_CALL(vms, resume(_)).WillOnce(Invoke([&](const VmRecord& vm) { resumed.push_back(vm.id); }));
  const auto before = std::chrono::system_clock::now();
  EXPECT_CALL(clock, set(_, _)).WillOnce(Invoke([&](const VmRecord& vm, std::chrono::system_clock::time_point now) {
    EXPECT_TRUE(power.holds_lock()) << "the lock is back before the slow part";
    EXPECT_GE(now, before);
    clocked.push_back(vm.id);
  }));
  power.after_sleep();
  EXPECT_EQ(resumed, std::vector<std::string>{"a"}) << "only what was paused";
  EXPECT_EQ(clocked, std::vector<std::string>{"a"});
  EXPECT_EQ(power.lock_reason(), "2 VMs running");
}

// Issue 19: a VM its user paused is neither paused again before sleep nor resumed after it.
TEST_F(HostPowerTest, SleepLeavesAVmItsUserPausedAsItIs) {
  start("a");
  start("b");
  EXPECT_CALL(vms, running())
      .WillOnce(Return(std::vector<VmRecord>{vm_in("a", VmState::running), vm_in("b", VmState::paused)}));
  std::vector<std::string> paused, resumed;
  EXPECT_CALL(vms, pause(_)).WillOnce(Invoke([&](const VmRecord& vm) { paused.push_back(vm.id); }));
  power.before_sleep();
  EXPECT_CALL(vms, resume(_)).WillOnce(Invoke([&](const VmRecord& vm) { resumed.push_back(vm.id); }));
  power.after_sleep();
  EXPECT_EQ(paused, std::vector<std::string>{"a"});
  EXPECT_EQ(resumed, std::vector<std::string>{"a"});
}

TEST_F(HostPowerTest, ShutdownStopsEveryVmWithinLogindsDelayThenLetsGo) {
  start("a");
  start("b");
  EXPECT_CALL(logind, inhibit_delay_max()).WillOnce(Return(10s));
  EXPECT_CALL(vms, running())
      .WillOnce(Return(std::vector<VmRecord>{vm_in("a", VmState::running), vm_in("b", VmState::running)}));
  std::mutex mutex;
  std::vector<std::string> stopped;
  EXPECT_CALL(vms, stop(_, std::chrono::milliseconds(8000)))
      .Times(2)
      .WillRepeatedly(Invoke([&](const VmRecord& vm, std::chrono::milliseconds) {
        EXPECT_TRUE(power.holds_lock());
        std::lock_guard hold(mutex);
        stopped.push_back(vm.id);
      }));
  power.before_shutdown();
  EXPECT_EQ(stopped.size(), 2u);
  EXPECT_FALSE(power.holds_lock());
  start("c");
  EXPECT_FALSE(power.holds_lock()) << "no new lock once the host shuts down";
  power.shutdown_cancelled();
  EXPECT_TRUE(power.holds_lock());
}

TEST_F(HostPowerTest, ShutdownStopsInParallel) {
  start("a");
  start("b");
  EXPECT_CALL(vms, running())
      .WillOnce(Return(std::vector<VmRecord>{vm_in("a", VmState::running), vm_in("b", VmState::running)}));
  EXPECT_CALL(vms, stop(_, _)).Times(2).WillRepeatedly(Invoke([](const VmRecord&, std::chrono::milliseconds) {
    std::this_thread::sleep_for(300ms);
  }));
  const auto began = std::chrono::steady_clock::now();
  power.before_shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 550ms);
}

// [vm] at_host_shutdown = "suspend" (issue 19): each VM is suspended; one that
// cannot be (a backend without saved state, a failed save) is stopped instead.
TEST_F(HostPowerTest, ShutdownSuspendsWhenConfiguredAndStopsWhatCannotBeSuspended) {
  HostPower suspending{{vms, logind, &clock, [](std::function<void()> job) { job(); }, true}};
  EXPECT_CALL(logind, inhibit_delay_max()).WillOnce(Return(10s));
  EXPECT_CALL(vms, running())
      .WillOnce(Return(std::vector<VmRecord>{vm_in("a", VmState::running), vm_in("b", VmState::paused)}));
  EXPECT_CALL(vms, suspend(::testing::Field(&VmRecord::id, "a"), std::chrono::milliseconds(8000)));
  EXPECT_CALL(vms, suspend(::testing::Field(&VmRecord::id, "b"), _))
      .WillOnce(Throw(Error(ErrorKind::not_supported, "the test backend cannot save state")));
  EXPECT_CALL(vms, stop(::testing::Field(&VmRecord::id, "a"), _)).Times(0);
  std::chrono::milliseconds left{0};
  EXPECT_CALL(vms, stop(::testing::Field(&VmRecord::id, "b"), _)).WillOnce(SaveArg<1>(&left));
  suspending.before_shutdown();
  EXPECT_GT(left, 7000ms) << "what is left of logind's delay";
  EXPECT_LE(left, 8000ms);
}

TEST_F(HostPowerTest, ShutdownWithoutDelayMaxTakesLogindsDefault) {
  start("a");
  EXPECT_CALL(logind, inhibit_delay_max()).WillOnce(Invoke([]() -> std::chrono::microseconds {
    throw Error(ErrorKind::backend_failed, "no logind");
  }));
  EXPECT_CALL(vms, running()).WillOnce(Return(std::vector<VmRecord>{vm_in("a", VmState::running)}));
  EXPECT_CALL(vms, stop(_, std::chrono::milliseconds(4000)));
  power.before_shutdown();
}

TEST(LogindCheck, SaysWhetherLogindIsThere) {
  NiceMock<MockLoginManager> logind;
  EXPECT_CALL(logind, unavailable())
      .WillOnce(Return(""))
      .WillOnce(Return("org.freedesktop.login1 is not on the system bus"));
  LogindCheck check(logind);
  std::vector<DoctorCheck> checks;
  check.add_doctor_checks(checks);
  check.add_doctor_checks(checks);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].check, "logind");
  EXPECT_EQ(checks[0].status, "ok");
  EXPECT_EQ(checks[1].status, "warn");
  EXPECT_EQ(checks[1].detail, "org.freedesktop.login1 is not on the system bus");
}

TEST(HostPowerBudget, LeavesAMarginAndAtLeastASecond) {
  EXPECT_EQ(HostPower::stop_budget(5s), 4000ms);
  EXPECT_EQ(HostPower::stop_budget(30s), 24000ms);
  EXPECT_EQ(HostPower::stop_budget(2s), 1500ms);
  EXPECT_EQ(HostPower::stop_budget(500ms), 1000ms);
}

}  // namespace
}  // namespace banger
