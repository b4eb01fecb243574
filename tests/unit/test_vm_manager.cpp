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

VmChanges changes_name(std::string name) {
  VmChanges c;
  c.name = std::move(name);
  return c;
}
VmChanges changes_vcpus(std::uint32_t vcpus) {
  VmChanges c;
  c.vcpus = vcpus;
  return c;
}
VmChanges changes_memory(std::uint32_t memory) {
  VmChanges c;
  c.memory_mib = memory;
  return c;
}

TEST_F(VmManagerTest, CreateCommitsCreatingThenCreated) {
  auto vm = manager.begin_create({"web", 2, 256, "default", {}}, 1000);
  EXPECT_EQ(vm.state, VmState::creating);
  EXPECT_EQ(vm.id.size(), 32u);
  EXPECT_EQ(store.find_vm(vm.id)->owner_uid, 1000u);
  EXPECT_CALL(*cap, provision(_, _));
  auto done = manager.finish_create(vm.id, progress);
  EXPECT_EQ(done.state, VmState::created);
  EXPECT_EQ(state_of(vm.id), VmState::created);
  EXPECT_EQ(events.states(vm.id), (std::vector<std::string>{"creating", "created"}));
  EXPECT_EQ(events.events().front().kind, "added");
}

TEST_F(VmManagerTest, VerbsOnACreatingVmAreBusyAtOnceButTouchWaits) {
  auto vm = manager.begin_create({"web", 2, 256, "default", {}}, 1000);
  EXPECT_EQ(kind_of([&] { manager.start(vm.id); }), ErrorKind::busy);
  EXPECT_EQ(kind_of([&] { manager.remove(vm.id); }), ErrorKind::busy);
  EXPECT_EQ(kind_of([&] { manager.set(vm.id, changes_name("db")); }), ErrorKind::busy);
  EXPECT_EQ(manager.touch(vm.id).state, VmState::creating);
}

TEST_F(VmManagerTest, CapabilityRefusalAtCreateLeavesNoRecordAndAnnouncesNothing) {
  EXPECT_CALL(*cap, check_create(_)).WillOnce(Throw(Error(ErrorKind::invalid_args, "image 'x' is not installed")));
  EXPECT_EQ(kind_of([&] { manager.begin_create({"web", 1, 256, "x", {}}, 1000); }), ErrorKind::invalid_args);
  EXPECT_TRUE(store.list_vms().empty());
  EXPECT_TRUE(events.events().empty());
}

TEST_F(VmManagerTest, DuplicateNameIsExistsAndAnnouncesNothing) {
  created("web");
  auto before = events.events().size();
  EXPECT_EQ(kind_of([&] { manager.begin_create({"web", 1, 256, "default", {}}, 1000); }), ErrorKind::exists);
  EXPECT_EQ(events.events().size(), before);
  EXPECT_EQ(store.list_vms().size(), 1u);
}

TEST_F(VmManagerTest, FailedProvisioningLeavesNothing) {
  auto vm = manager.begin_create({"web", 1, 256, "default", {}}, 1000);
  EXPECT_CALL(*cap, provision(_, _)).WillOnce(Throw(Error(ErrorKind::resource_exhausted, "disk full")));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::create_failed));
  EXPECT_EQ(kind_of([&] { manager.finish_create(vm.id, progress); }), ErrorKind::resource_exhausted);
  EXPECT_FALSE(store.find_vm(vm.id));
  EXPECT_EQ(events.events().back().kind, "removed");
}

TEST_F(VmManagerTest, NonBangerExceptionsBecomeBackendFailed) {
  auto vm = created();
  EXPECT_CALL(backend, launch(_)).WillOnce(Throw(std::runtime_error("fork: out of memory")));
  EXPECT_EQ(kind_of([&] { manager.start(vm.id); }), ErrorKind::backend_failed);
  EXPECT_EQ(store.find_vm(vm.id)->last_error, "fork: out of memory");
}

TEST_F(VmManagerTest, StopGracefulUsesTimeoutAndCleansUp) {
  auto vm = running();
  EXPECT_EQ(watch.watched().count(vm.id), 1u);
  EXPECT_CALL(backend, stop(handles_42, std::chrono::milliseconds(1500)));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::stopped));
  auto after = manager.stop(vm.id, false);
  EXPECT_EQ(after.state, VmState::stopped);
  EXPECT_EQ(handles_on_disk(vm.id), "");
  EXPECT_TRUE(watch.watched().empty());
  auto states = events.states(vm.id);
  EXPECT_EQ(std::vector<std::string>(states.end() - 2, states.end()), (std::vector<std::string>{"stopping", "stopped"}));
}

TEST_F(VmManagerTest, ForceStopAndKillUseKill) {
  auto vm = running();
  EXPECT_CALL(backend, kill(_)).Times(1);
  EXPECT_CALL(backend, stop(_, _)).Times(0);
  EXPECT_EQ(manager.kill(vm.id).state, VmState::stopped);
}

TEST_F(VmManagerTest, StopFailureKeepsHandlesAndMarksFailed) {
  auto vm = running();
  EXPECT_CALL(backend, stop(_, _)).WillOnce(Throw(Error(ErrorKind::backend_failed, "no answer")));
  EXPECT_EQ(kind_of([&] { manager.stop(vm.id, false); }), ErrorKind::backend_failed);
  auto stored = store.find_vm(vm.id).value();
  EXPECT_EQ(stored.state, VmState::failed);
  EXPECT_EQ(handles_on_disk(vm.id), handles_42);
  EXPECT_EQ(watch.watched().count(vm.id), 1u) << "a VMM that would not stop stays watched";
  // Deleting it ends the VMM first.
  EXPECT_CALL(backend, kill(handles_42));
  manager.remove(vm.id);
  EXPECT_FALSE(store.find_vm(vm.id));
}

TEST_F(VmManagerTest, DeleteRefusesRunningAndRemovesStopped) {
  auto vm = running();
  EXPECT_EQ(kind_of([&] { manager.remove(vm.id); }), ErrorKind::invalid_state);
  manager.stop(vm.id, false);
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::deleted));
  manager.remove(vm.id);
  EXPECT_FALSE(store.find_vm(vm.id));
  EXPECT_EQ(events.events().back().kind, "removed");
  EXPECT_EQ(kind_of([&] { manager.start(vm.id); }), ErrorKind::no_such_vm);
}

TEST_F(VmManagerTest, SetRenamesAnyTimeButHardwareOnlyWhenDown) {
  auto vm = running();
  EXPECT_EQ(manager.set(vm.id, changes_name("web2")).name, "web2");
  EXPECT_EQ(kind_of([&] { manager.set(vm.id, changes_vcpus(1)); }), ErrorKind::invalid_state);
  manager.stop(vm.id, false);
  EXPECT_CALL(*cap, apply_config_change(_, _)).WillOnce(Invoke([](const VmRecord& before, const VmRecord& after) {
    EXPECT_EQ(before.memory_mib, 256u);
    EXPECT_EQ(after.memory_mib, 1024u);
  }));
  auto after = manager.set(vm.id, changes_memory(1024));
  EXPECT_EQ(store.find_vm(vm.id)->memory_mib, 1024u);
  EXPECT_EQ(after.id, vm.id);
}

TEST_F(VmManagerTest, RenameToTakenNameIsExistsAndChangesNothing) {
  created("web");
  auto db = created("db");
  EXPECT_EQ(kind_of([&] { manager.set(db.id, changes_name("web")); }), ErrorKind::exists);
  EXPECT_EQ(store.find_vm(db.id)->name, "db");
}

TEST_F(VmManagerTest, FailedConfigChangeRollsBackTheRecord) {
  auto vm = created();
  EXPECT_CALL(*cap, apply_config_change(_, _)).WillOnce(Throw(Error(ErrorKind::backend_failed, "resize failed")));
  EXPECT_EQ(kind_of([&] { manager.set(vm.id, changes_vcpus(1)); }), ErrorKind::backend_failed);
  EXPECT_EQ(store.find_vm(vm.id)->vcpus, 2u);
}

TEST_F(VmManagerTest, TouchBumpsUpdatedAt) {
  auto vm = created();
  std::this_thread::sleep_for(2ms);  // the clock must move for the bump to show
  auto touched = manager.touch(vm.id);
  EXPECT_GT(touched.updated_at_us, vm.updated_at_us);
  EXPECT_EQ(store.find_vm(vm.id)->updated_at_us, touched.updated_at_us);
}

TEST_F(VmManagerTest, LockIsHeldForTheWholeOperation) {
  auto vm = created();
  std::promise<void> inside, release;
  auto released = release.get_future().share();
  EXPECT_CALL(backend, start(_)).WillOnce(Invoke([&](const std::string&) {
    inside.set_value();
    released.wait();
  }));
  auto starting = std::async(std::launch::async, [&] { manager.start(vm.id); });
  inside.get_future().wait();
  // The VM is "starting" and locked: a concurrent operation waits 200 ms, then gives up.
  EXPECT_EQ(kind_of([&] { manager.set(vm.id, changes_name("other")); }), ErrorKind::busy);
  release.set_value();
  starting.get();
  EXPECT_EQ(state_of(vm.id), VmState::running);
}

TEST_F(VmManagerTest, OperationQueuedBehindDeleteSeesTheDeletion) {
  auto vm = created();
  std::promise<void> inside, release;
  auto released = release.get_future().share();
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::deleted)).WillOnce(Invoke([&](const VmRecord&, CleanupReason) {
    inside.set_value();
    released.wait();
  }));
  auto deleting = std::async(std::launch::async, [&] { manager.remove(vm.id); });
  inside.get_future().wait();
  auto starting = std::async(std::launch::async, [&] { return kind_of([&] { manager.start(vm.id); }); });
  release.set_value();
  deleting.get();
  EXPECT_EQ(starting.get(), ErrorKind::no_such_vm);
}

TEST_F(VmManagerTest, BackendIsChosenPerVmAndFixedAtCreate) {
  NiceMock<MockVmmBackend> other;
  ON_CALL(other, name()).WillByDefault(Return("other"));
  ON_CALL(other, launch(_)).WillByDefault(Return(R"({"pid":8,"start_time":80})"));
  backends.add(other);
  auto on_default = manager.finish_create(manager.begin_create({"web", 1, 256, "default", {}}, 1000).id, progress);
  auto on_other = manager.finish_create(manager.begin_create({"db", 1, 256, "default", "other"}, 1000).id, progress);
  EXPECT_EQ(on_default.backend, "mock");
  EXPECT_EQ(store.find_vm(on_other.id)->backend, "other");
  EXPECT_CALL(other, launch(_)).Times(1);
  EXPECT_CALL(backend, launch(_)).Times(1);
  manager.start(on_other.id);
  manager.start(on_default.id);
  EXPECT_CALL(other, kill(R"({"pid":8,"start_time":80})"));
  EXPECT_CALL(backend, kill(_)).Times(0);
  manager.kill(on_other.id);
}

TEST_F(VmManagerTest, UnknownOrUnavailableBackendIsRefusedAtCreate) {
  EXPECT_EQ(kind_of([&] { manager.begin_create({"web", 1, 256, "default", "bochs"}, 1000); }),
            ErrorKind::invalid_args);
  struct Missing final : NiceMock<MockVmmBackend> {
    std::string unavailable() const override { return "no binary at /nonexistent"; }
  } missing;
  ON_CALL(missing, name()).WillByDefault(Return("missing"));
  backends.add(missing);
  try {
    manager.begin_create({"web", 1, 256, "default", "missing"}, 1000);
    ADD_FAILURE() << "expected InvalidArgs";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_args);
    EXPECT_NE(std::string(e.what()).find("no binary at /nonexistent"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store.list_vms().empty());
}

TEST_F(VmManagerTest, DoctorReportsEachBackendThenTheCapabilities) {
  struct Missing final : NiceMock<MockVmmBackend> {
    std::string unavailable() const override { return "no binary at /nonexistent"; }
  } missing;
  ON_CALL(missing, name()).WillByDefault(Return("missing"));
  backends.add(missing);
  EXPECT_CALL(*cap, add_doctor_checks(_)).WillOnce([](std::vector<DoctorCheck>& checks) {
    checks.push_back({"capability-check", "ok", "fine", "", ""});
  });
  auto checks = manager.doctor();
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks.back().check, "capability-check");
  auto named = [&](const std::string& name) {
    return *std::find_if(checks.begin(), checks.end(), [&](const DoctorCheck& c) { return c.check == name; });
  };
  EXPECT_EQ(named("mock-vmm").status, "ok");
  EXPECT_EQ(named("missing-vmm").status, "warn") << "not the default backend";
  EXPECT_EQ(named("missing-vmm").detail, "no binary at /nonexistent");

  backends.set_default("missing");
  EXPECT_CALL(*cap, add_doctor_checks(_));
  auto again = manager.doctor();
  auto missing_check = std::find_if(again.begin(), again.end(), [](const DoctorCheck& c) { return c.check == "missing-vmm"; });
  ASSERT_NE(missing_check, again.end());
  EXPECT_EQ(missing_check->status, "fail") << "VMs get this backend by default";
}

}  // namespace
}  // namespace banger

namespace banger {
namespace {

TEST_F(VmManagerTest, CloneCopiesTheSettingsUnderANewIdAndOwner) {
  auto source = created("web");
  auto copy = manager.begin_clone(source.id, "web-2", 2000);
  EXPECT_EQ(copy.state, VmState::creating);
  EXPECT_NE(copy.id, source.id);
  EXPECT_EQ(copy.owner_uid, 2000u);
  EXPECT_EQ(copy.vcpus, source.vcpus);
  EXPECT_EQ(copy.memory_mib, source.memory_mib);
  EXPECT_EQ(copy.image, source.image);
  EXPECT_EQ(copy.backend, source.backend);
  EXPECT_EQ(copy.network, source.network);
  EXPECT_CALL(*cap, provision_clone(_, _, _)).WillOnce(Invoke([&](const VmRecord& from, VmRecord& to, ProgressSink&) {
    EXPECT_EQ(from.id, source.id);
    EXPECT_EQ(to.id, copy.id);
    to.root_disk_strategy = "reflink";  // what a capability decides is kept
  }));
  auto done = manager.finish_clone(copy.id, source.id, progress);
  EXPECT_EQ(done.state, VmState::created);
  EXPECT_EQ(store.find_vm(copy.id)->root_disk_strategy, "reflink");
  EXPECT_EQ(state_of(source.id), VmState::created) << "the source is left as it was";
}

TEST_F(VmManagerTest, CloneRefusesARunningSourceATakenNameAndCleansUpAFailedCopy) {
  auto source = created("web");
  created("db");
  EXPECT_EQ(kind_of([&] { manager.begin_clone(source.id, "db", 1000); }), ErrorKind::exists);
  EXPECT_EQ(kind_of([&] { manager.begin_clone(source.id, "Bad Name", 1000); }), ErrorKind::invalid_args);
  auto copy = manager.begin_clone(source.id, "web-2", 1000);
  EXPECT_CALL(*cap, provision_clone(_, _, _)).WillOnce(Throw(Error(ErrorKind::resource_exhausted, "disk full")));
  EXPECT_CALL(*cap, cleanup(_, CleanupReason::create_failed));
  EXPECT_EQ(kind_of([&] { manager.finish_clone(copy.id, source.id, progress); }), ErrorKind::resource_exhausted);
  EXPECT_FALSE(store.find_vm(copy.id));

  manager.start(source.id);
  EXPECT_EQ(kind_of([&] { manager.begin_clone(source.id, "web-3", 1000); }), ErrorKind::invalid_state);
}

TEST_F(VmManagerTest, ACloneWhoseSourceWasDeletedMeanwhileFailsAndGoes) {
  auto source = created("web");
  auto copy = manager.begin_clone(source.id, "web-2", 1000);
  manager.remove(source.id);
  EXPECT_CALL(*cap, provision_clone(_, _, _)).Times(0);
  EXPECT_EQ(kind_of([&] { manager.finish_clone(copy.id, source.id, progress); }), ErrorKind::no_such_vm);
  EXPECT_FALSE(store.find_vm(copy.id)) << "not left creating";
}

}  // namespace
}  // namespace banger
