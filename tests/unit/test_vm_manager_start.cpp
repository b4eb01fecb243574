// VmManager's start (core/vm_manager_start.cpp): the backend's steps in order,
// a failed start cleaned up, a VMM's death named, and the one fallback retry.
#include <signal.h>

#include <future>
#include <thread>

#include <fmt/format.h>

#include "error_kind.h"
#include "core/errors.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

using ::testing::InSequence;
using ::testing::Invoke;
using ::testing::Throw;

using testing::kind_of;

TEST_F(VmManagerTest, StartRunsTheBackendInOrderAndRecordsHandles) {
  auto vm = created();
  {
    InSequence order;
    EXPECT_CALL(*cap, prepare_host(_));
    EXPECT_CALL(*cap, contribute_guest(_, _)).WillOnce(Invoke([](const VmRecord&, GuestConfig& g) {
      g.values["ip"] = "10.0.0.2/24";
    }));
    EXPECT_CALL(*cap, contribute_machine(_, _)).WillOnce(Invoke([](const VmRecord&, MachineConfig& m) {
      m.kernel_args.push_back("console=ttyS0");
    }));
    EXPECT_CALL(backend, launch(_)).WillOnce(Invoke([&](const MachineConfig& m) {
      EXPECT_EQ(m.vcpus, 2u);
      EXPECT_EQ(m.memory_mib, 256u);
      EXPECT_EQ(m.runtime_dir, runtime / "vms" / vm.id);
      // The guest's settings follow the capabilities' own arguments, for the image's init to read.
      EXPECT_EQ(m.kernel_args, (std::vector<std::string>{"console=ttyS0", "banger.ip=10.0.0.2/24"}));
      return std::string(R"({"pid":7,"start_time":70})");
    }));
    EXPECT_CALL(backend, configure(R"({"pid":7,"start_time":70})", _))
        .WillOnce(Invoke([&](const std::string&, const MachineConfig&) {
          // On disk, and watched, before configure runs: a crash or a VMM exit from here on is noticed.
          EXPECT_EQ(handles_on_disk(vm.id), R"({"pid":7,"start_time":70})");
          EXPECT_EQ(watch.watched().at(vm.id), (VmmProcess{7, 70}));
          EXPECT_FALSE(std::filesystem::exists(handles_file(vm.id).string() + ".tmp"));
        }));
    EXPECT_CALL(backend, start(R"({"pid":7,"start_time":70})"));
    EXPECT_CALL(*cap, post_start(_));
  }
  auto after = manager.start(vm.id);
  EXPECT_EQ(after.state, VmState::running);
  EXPECT_EQ(events.states(vm.id), (std::vector<std::string>{"creating", "created", "starting", "running"}));
}

TEST_F(VmManagerTest, FailedStartKillsCleansAndRecordsTheError) {
  auto vm = created();
  EXPECT_CALL(backend, start(_))
      .WillOnce(Throw(Error(ErrorKind::backend_failed, "InstanceStart: bad kernel")))
      .WillOnce(Return());
  EXPECT_CALL(backend, kill(handles_42));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::start_failed));
  EXPECT_EQ(kind_of([&] { manager.start(vm.id); }), ErrorKind::backend_failed);
  auto stored = store.find_vm(vm.id).value();
  EXPECT_EQ(stored.state, VmState::failed);
  EXPECT_EQ(stored.last_error, "InstanceStart: bad kernel");
  EXPECT_EQ(handles_on_disk(vm.id), "");
  EXPECT_TRUE(watch.watched().empty());
  // A failed VM can be started again, and a success clears LastError.
  EXPECT_EQ(manager.start(vm.id).last_error, "");
}

// VMM faults: whichever step noticed it (here the wait for the guest), a VMM
// that died under the start is the cause the error and LastError name.
TEST_F(VmManagerTest, StartFailedByItsVmmsDeathSaysHowItDied) {
  auto vm = created();
  std::future<void> watcher;
  EXPECT_CALL(*cap, post_start(_)).WillOnce(Invoke([&](const VmRecord&) {
    // The exit watcher reports from its own thread and then waits for the VM's lock, which the start holds.
    watcher = std::async(std::launch::async, [&] {
      manager.vmm_exited(vm.id, VmmProcess{42, 420}, {VmmExit::How::signalled, SIGKILL});
    });
    throw Error(ErrorKind::backend_failed, "the VM stopped running before its SSH server answered");
  }));
  std::string message;
  try {
    manager.start(vm.id);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
    message = e.what();
  }
  watcher.get();
  const std::string expected =
      "the VMM was killed by signal 9 (SIGKILL) while the VM was starting: the VM stopped running before its SSH "
      "server answered";
  EXPECT_EQ(message, expected);
  auto stored = store.find_vm(vm.id).value();
  EXPECT_EQ(stored.state, VmState::failed);
  EXPECT_EQ(stored.last_error, expected);
  EXPECT_EQ(events.states(vm.id).back(), "failed") << "settled once, by the start, not again by the watcher";
}

// Issue 16: a VMM that died under the start, on a backend that launches the next
// one differently (QEMU's accel = "auto": KVM, then TCG), gets one more attempt
// within the same Start; the VM never shows "failed" in between.
TEST_F(VmManagerTest, StartTriesOnceMoreWhenTheBackendFallsBack) {
  auto vm = created();
  constexpr const char* handles_43 = R"({"pid":43,"start_time":430})";
  std::future<void> watcher;
  EXPECT_CALL(backend, launch(_)).WillOnce(Return(handles_42)).WillOnce(Return(handles_43));
  EXPECT_CALL(backend, start(handles_42)).WillOnce(Invoke([&](const std::string&) {
    watcher = std::async(std::launch::async, [&] {
      manager.vmm_exited(vm.id, VmmProcess{42, 420}, {VmmExit::How::signalled, SIGABRT});
    });
    throw Error(ErrorKind::backend_failed, "the VMM exited: kvm_buf_set_msrs: Assertion failed");
  }));
  EXPECT_CALL(backend, fall_back_after_failed_start(handles_42)).WillOnce(Return(true));
  EXPECT_CALL(backend, kill(handles_42));
  EXPECT_CALL(backend, start(handles_43));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::start_failed)).Times(1);  // the first attempt's host resources
  auto after = manager.start(vm.id);
  watcher.get();
  EXPECT_EQ(after.state, VmState::running);
  EXPECT_EQ(state_of(vm.id), VmState::running) << "the first VMM's late exit is not the second one's";
  EXPECT_EQ(handles_on_disk(vm.id), handles_43);
  EXPECT_EQ(events.states(vm.id), (std::vector<std::string>{"creating", "created", "starting", "running"}));
}

// Once only, and never for a failure that was not the VMM's death.
TEST_F(VmManagerTest, StartFallsBackAtMostOnce) {
  auto vm = created();
  std::vector<std::future<void>> watchers;
  int launches = 0;
  EXPECT_CALL(backend, launch(_)).Times(2).WillRepeatedly(Invoke([&](const MachineConfig&) {
    ++launches;
    return fmt::format(R"({{"pid":{},"start_time":{}}})", 40 + launches, 400 + launches);
  }));
  EXPECT_CALL(backend, start(_)).Times(2).WillRepeatedly(Invoke([&](const std::string&) {
    const int n = launches;
    watchers.push_back(std::async(std::launch::async, [&, n] {
      manager.vmm_exited(vm.id, VmmProcess{40 + n, static_cast<std::uint64_t>(400 + n)}, {VmmExit::How::signalled, SIGABRT});
    }));
    throw Error(ErrorKind::backend_failed, "the VMM exited");
  }));
  EXPECT_CALL(backend, fall_back_after_failed_start(_)).Times(1).WillRepeatedly(Return(true));
  EXPECT_EQ(kind_of([&] { manager.start(vm.id); }), ErrorKind::backend_failed);
  for (auto& w : watchers) w.get();
  EXPECT_EQ(state_of(vm.id), VmState::failed);

  // A start that failed with its VMM alive is not the backend's to retry.
  EXPECT_CALL(backend, launch(_)).WillOnce(Return(handles_42));
  EXPECT_CALL(backend, start(_)).WillOnce(Throw(Error(ErrorKind::backend_failed, "bad kernel")));
  EXPECT_CALL(backend, fall_back_after_failed_start(_)).Times(0);
  EXPECT_EQ(kind_of([&] { manager.start(vm.id); }), ErrorKind::backend_failed);
}

}  // namespace
}  // namespace banger
