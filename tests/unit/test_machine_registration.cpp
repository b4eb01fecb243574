// MachineRegistration (issue 16): running VMs registered with machined, best
// effort and off the caller's thread. No bus: machined is a mock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <deque>

#include "capabilities/guest_clock_ssh.h"
#include "capabilities/machine_registration.h"
#include "core/errors.h"
#include "host/machined_bus.h"
#include "mock_host_seams.h"

namespace banger {
namespace {

using ::testing::_;
using ::testing::Invoke;
using ::testing::NiceMock;
using ::testing::Return;
using testing::MockMachineRegistry;

VmRecord vm_named(const std::string& name, VmState state = VmState::running) {
  VmRecord vm;
  vm.id = "0123456789abcdef0123456789abcdef";
  vm.name = name;
  vm.state = state;
  return vm;
}

struct MachineRegistrationTest : ::testing::Test {
  NiceMock<MockMachineRegistry> registry;
  std::optional<pid_t> leader = 4242;
  std::deque<std::function<void()>> posted;
  MachineRegistration machines{{registry, [this](const std::string&) { return leader; },
                                [](const VmRecord& vm) {
                                  return vm.network.empty() ? std::vector<int>{} : std::vector<int>{17};
                                },
                                [this](pid_t pid) { return pid == jailed_pid; },
                                [this](std::function<void()> job) { posted.push_back(std::move(job)); }}};
  pid_t jailed_pid = 0;
  std::vector<MachineEntry> registered;
  std::vector<std::string> unregistered;

  MachineRegistrationTest() {
    ON_CALL(registry, register_machine(_)).WillByDefault(Invoke([this](const MachineEntry& m) {
      registered.push_back(m);
    }));
    ON_CALL(registry, unregister_machine(_)).WillByDefault(Invoke([this](const std::string& name) {
      unregistered.push_back(name);
    }));
  }
  void run_posted() {
    while (!posted.empty()) {
      auto job = std::move(posted.front());
      posted.pop_front();
      job();
    }
  }
};

TEST_F(MachineRegistrationTest, RegistersAStartedVmWithItsVmmAsLeaderAndItsTap) {
  auto vm = vm_named("web");
  vm.network = "default";
  machines.post_start(vm);
  EXPECT_TRUE(registered.empty()) << "the start does not wait for machined";
  run_posted();
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(registered[0].name, "web");
  EXPECT_EQ(registered[0].vm_id, vm.id);
  EXPECT_EQ(registered[0].leader, 4242);
  EXPECT_EQ(registered[0].ifindices, std::vector<int>{17});
}

TEST_F(MachineRegistrationTest, UnregistersWhenTheVmStopsOrIsDeleted) {
  for (auto reason : {CleanupReason::stopped, CleanupReason::deleted, CleanupReason::start_failed}) {
    unregistered.clear();
    machines.post_start(vm_named("web"));
    machines.cleanup(vm_named("web", VmState::stopping), reason);
    run_posted();
    EXPECT_EQ(unregistered, std::vector<std::string>{"web"}) << to_string(reason);
  }
}

TEST_F(MachineRegistrationTest, AVmmInACgroupOfItsOwnIsRegisteredWhereItIs) {
  machines.post_start(vm_named("web"));
  jailed_pid = 4242;
  auto jailed = vm_named("jailed");
  jailed.id = "ffffffffffffffffffffffffffffffff";
  machines.post_start(jailed);
  run_posted();
  ASSERT_EQ(registered.size(), 2u);
  EXPECT_FALSE(registered[0].in_own_cgroup) << "in bangerd's cgroup: moved into a scope of its own";
  EXPECT_TRUE(registered[1].in_own_cgroup) << "the jailer's cgroup and its limits stay";
}

TEST_F(MachineRegistrationTest, NothingToUnregisterForAVmNeverRegistered) {
  EXPECT_CALL(registry, unregister_machine(_)).Times(0);
  machines.cleanup(vm_named("web", VmState::stopped), CleanupReason::stopped);
  run_posted();
}

TEST_F(MachineRegistrationTest, NoLeaderNoRegistration) {
  leader.reset();
  EXPECT_CALL(registry, register_machine(_)).Times(0);
  machines.post_start(vm_named("web"));
  run_posted();
  EXPECT_TRUE(machines.registered().empty());
}

TEST_F(MachineRegistrationTest, ARenamedRunningVmIsRegisteredUnderItsNewName) {
  machines.post_start(vm_named("web"));
  machines.apply_config_change(vm_named("web"), vm_named("api"));
  machines.cleanup(vm_named("api"), CleanupReason::stopped);
  run_posted();
  ASSERT_EQ(registered.size(), 2u);
  EXPECT_EQ(registered[1].name, "api");
  EXPECT_EQ(unregistered, (std::vector<std::string>{"web", "api"}));
}

TEST_F(MachineRegistrationTest, RenamingAStoppedVmTellsMachinedNothing) {
  EXPECT_CALL(registry, register_machine(_)).Times(0);
  machines.apply_config_change(vm_named("web", VmState::stopped), vm_named("api", VmState::stopped));
  run_posted();
}

TEST_F(MachineRegistrationTest, AdoptedRunningVmsAreRegisteredAgain) {
  auto stopped = vm_named("old", VmState::stopped);
  stopped.id = "ffffffffffffffffffffffffffffffff";
  machines.register_running({vm_named("web"), stopped});
  run_posted();
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(registered[0].name, "web");
}

TEST_F(MachineRegistrationTest, MachinedFailingNeverFailsTheVm) {
  EXPECT_CALL(registry, register_machine(_)).WillOnce(Invoke([](const MachineEntry&) {
    throw Error(ErrorKind::backend_failed, "org.freedesktop.machine1 is not on the system bus");
  }));
  EXPECT_CALL(registry, unregister_machine(_)).WillOnce(Invoke([](const std::string&) {
    throw Error(ErrorKind::backend_failed, "gone");
  }));
  EXPECT_NO_THROW(machines.post_start(vm_named("web")));
  EXPECT_NO_THROW(run_posted());
  EXPECT_NO_THROW(machines.cleanup(vm_named("web"), CleanupReason::stopped));
  EXPECT_NO_THROW(run_posted());
}

TEST_F(MachineRegistrationTest, DoctorSaysWhetherMachinedIsThere) {
  EXPECT_CALL(registry, unavailable())
      .WillOnce(Return(""))
      .WillOnce(Return("org.freedesktop.machine1 is not on the system bus"));
  std::vector<DoctorCheck> checks;
  machines.add_doctor_checks(checks);
  machines.add_doctor_checks(checks);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].check, "machined");
  EXPECT_EQ(checks[0].status, "ok");
  EXPECT_EQ(checks[1].status, "warn");
  EXPECT_EQ(checks[1].detail, "org.freedesktop.machine1 is not on the system bus");
}

TEST(MachineHost, AProcessInBangerdsOwnCgroupIsMovedIntoAScope) {
  EXPECT_FALSE(host::in_cgroup_of_its_own(getpid())) << "this process shares its own cgroup";
  EXPECT_FALSE(host::in_cgroup_of_its_own(999999999)) << "no such process";
  VmRecord vm = vm_named("web");
  EXPECT_TRUE(host::tap_ifindices(vm).empty()) << "no network, no tap";
  vm.network = "default";
  EXPECT_TRUE(host::tap_ifindices(vm).empty()) << "no tap of that name on this host";
}

TEST(GuestClockScript, SetsTheClockToTheNearestSecond) {
  using namespace std::chrono;
  EXPECT_EQ(set_clock_script(system_clock::time_point(milliseconds(1700000000600))), "date -s @1700000001 >/dev/null");
  EXPECT_EQ(set_clock_script(system_clock::time_point(milliseconds(1700000000400))), "date -s @1700000000 >/dev/null");
}

}  // namespace
}  // namespace banger
