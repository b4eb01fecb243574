#include <future>

#include "core/errors.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

using ::testing::Invoke;

TEST(HandlesFiles, RoundTripThroughTheFileAfterARestart) {
  auto runtime = temp_dir();
  {
    HandlesFiles files(runtime);
    files.put("abc", "qemu", R"({"pid":5,"start_time":50,"qmp_socket":"/x"})");
    EXPECT_EQ(files.get("abc"), R"({"pid":5,"start_time":50,"qmp_socket":"/x"})");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(runtime / "vms" / "abc"),
                            std::filesystem::directory_iterator()),
              1) << "no temporary file left behind";
    EXPECT_THROW(files.put("abc", "qemu", "not json"), Error);
  }
  HandlesFiles restarted(runtime);  // an empty cache: read from the file
  EXPECT_EQ(vmm_process_of(restarted.get("abc")), (VmmProcess{5, 50}));
  EXPECT_EQ(restarted.get("nothing"), "");
  restarted.erase("abc");
  EXPECT_FALSE(std::filesystem::exists(restarted.file("abc")));
  EXPECT_EQ(HandlesFiles(runtime).get("abc"), "");
  // A torn or foreign file is no VMM.
  std::filesystem::create_directories(runtime / "vms" / "bad");
  std::ofstream(runtime / "vms" / "bad" / "handles.json") << "{\"backend\":";
  EXPECT_EQ(HandlesFiles(runtime).get("bad"), "");
  EXPECT_FALSE(vmm_process_of(R"({"pid":0,"start_time":1})"));
  EXPECT_FALSE(vmm_process_of(R"({"pid":3})"));
  std::filesystem::remove_all(runtime);
}

// What lets the daemon's SSH wait, machined registration and stats read a VM's VMM
// without the VmManager (which needs them first): the handles files they share with it.
TEST_F(VmManagerTest, SharedHandlesFilesSeeTheVmmsItLaunches) {
  HandlesFiles shared(runtime);
  VmManager with_shared{{store, backends, caps, events, shared, &watch}, {200ms, 1500ms, runtime}};
  auto vm = with_shared.begin_create({"web", 2, 256, "default", {}}, 1000);
  with_shared.finish_create(vm.id, progress);
  with_shared.start(vm.id);
  EXPECT_EQ(vmm_process_of(shared.get(vm.id)), (VmmProcess{42, 420}));
  with_shared.kill(vm.id);
  EXPECT_EQ(shared.get(vm.id), "") << "the kill's erase reached the shared cache";
}

struct RecoverTest : VmManagerTest {
  testing::RecordingWatch new_watch;
  // bangerd again, over the same store and runtime dir, with nothing in memory.
  HandlesFiles new_handles{runtime};
  VmManager restarted{{store, backends, caps, events, new_handles, &new_watch}, {200ms, 1500ms, runtime}};
};

TEST_F(RecoverTest, AdoptsLiveVmmsSettlesDeadOnesAndDropsHalfMadeVms) {
  auto alive = running("alive");
  ON_CALL(backend, launch(_)).WillByDefault(Return(R"({"pid":43,"start_time":430})"));
  auto gone = running("gone");
  auto no_file = running("nofile");
  std::filesystem::remove(handles_file(no_file.id));  // as after a host reboot: the tmpfs is empty
  auto half = manager.begin_create({"half", 1, 256, "default", {}}, 1000);
  EXPECT_CALL(backend, adopt(handles_42)).WillRepeatedly(Return(true));
  EXPECT_CALL(backend, adopt(R"({"pid":43,"start_time":430})")).WillRepeatedly(Return(false));
  EXPECT_CALL(*cap, cleanup(_, _)).Times(::testing::AnyNumber());
  EXPECT_CALL(*cap, cleanup(::testing::Field(&VmRecord::id, gone.id), CleanupReason::stopped));
  EXPECT_CALL(*cap, cleanup(::testing::Field(&VmRecord::id, half.id), CleanupReason::create_failed));
  restarted.recover();
  EXPECT_EQ(state_of(alive.id), VmState::running);
  EXPECT_EQ(new_watch.watched(), (std::map<std::string, VmmProcess>{{alive.id, {42, 420}}}));
  EXPECT_EQ(restarted.recorded_vmms(), (std::vector<VmmProcess>{{42, 420}}));
  EXPECT_EQ(state_of(gone.id), VmState::stopped);
  EXPECT_EQ(store.find_vm(gone.id)->last_error, "the VMM exited while bangerd was not running");
  EXPECT_EQ(handles_on_disk(gone.id), "");
  EXPECT_EQ(state_of(no_file.id), VmState::stopped);
  EXPECT_NE(store.find_vm(no_file.id)->last_error.find("handles file is gone"), std::string::npos);
  EXPECT_FALSE(store.find_vm(half.id));
}

TEST_F(RecoverTest, AdoptsAVmmWhoseHandlesAnOlderVersionKeptInTheRow) {
  auto vm = running("upgraded");
  std::filesystem::remove(handles_file(vm.id));
  auto record = store.find_vm(vm.id).value();
  record.handles = handles_42;  // where the previous version wrote them
  store.update_vm(record);
  EXPECT_CALL(backend, adopt(handles_42)).WillOnce(Return(true));
  restarted.recover();
  EXPECT_EQ(state_of(vm.id), VmState::running);
  EXPECT_EQ(handles_on_disk(vm.id), handles_42) << "moved to the handles file";
  EXPECT_EQ(store.find_vm(vm.id)->handles, "") << "and gone from the row";
  EXPECT_EQ(new_watch.watched(), (std::map<std::string, VmmProcess>{{vm.id, {42, 420}}}));
}

TEST_F(RecoverTest, EndsAStartCutOffHalfway) {
  auto vm = running();
  auto record = store.find_vm(vm.id).value();
  record.state = VmState::starting;
  store.update_vm(record);
  EXPECT_CALL(backend, adopt(handles_42)).WillOnce(Return(true));
  EXPECT_CALL(backend, kill(handles_42));
  restarted.recover();
  EXPECT_EQ(state_of(vm.id), VmState::failed);
  EXPECT_EQ(handles_on_disk(vm.id), "");
  EXPECT_TRUE(new_watch.watched().empty());
}

TEST_F(VmManagerTest, VmmExitSettlesTheVmByHowItEnded) {
  struct Case {
    VmmExit exit;
    VmState state;
    std::string reason;
    std::string last_error;
  };
  const Case cases[] = {
      {{VmmExit::How::exited, 0}, VmState::stopped, "the guest shut down", ""},
      {{VmmExit::How::exited, 3}, VmState::failed, "the VMM exited with status 3", "the VMM exited with status 3"},
      {{VmmExit::How::signalled, 9}, VmState::failed, "the VMM was killed by signal 9 (SIGKILL)",
       "the VMM was killed by signal 9 (SIGKILL)"},
      {{VmmExit::How::unknown, 0}, VmState::stopped, "the VMM exited", ""},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason);
    auto vm = running("vm" + std::to_string(n++));
    EXPECT_CALL(*cap, cleanup(::testing::Field(&VmRecord::id, vm.id), CleanupReason::stopped));
    manager.vmm_exited(vm.id, {42, 420}, c.exit);
    auto after = store.find_vm(vm.id).value();
    EXPECT_EQ(after.state, c.state);
    EXPECT_EQ(after.last_error, c.last_error);
    EXPECT_EQ(events.events().back().reason, c.reason);
    EXPECT_EQ(handles_on_disk(vm.id), "");
  }
}

TEST_F(VmManagerTest, UnknownExitStatusIsTakenFromTheBackendsEvidence) {
  auto clean = running("clean");
  auto broken = running("broken");
  EXPECT_CALL(backend, exit_code(handles_42)).WillOnce(Return(0)).WillOnce(Return(1));
  manager.vmm_exited(clean.id, {42, 420}, {});
  EXPECT_EQ(state_of(clean.id), VmState::stopped);
  EXPECT_EQ(events.events().back().reason, "the guest shut down");
  manager.vmm_exited(broken.id, {42, 420}, {});
  EXPECT_EQ(state_of(broken.id), VmState::failed);
  EXPECT_EQ(store.find_vm(broken.id)->last_error, "the VMM exited with status 1");
}

TEST_F(VmManagerTest, VmmExitOfAnotherProcessOrAfterOwnStopIsIgnored) {
  auto vm = running();
  manager.vmm_exited(vm.id, {42, 999}, {VmmExit::How::signalled, 9});  // a reused pid, not this VMM
  EXPECT_EQ(state_of(vm.id), VmState::running);
  manager.stop(vm.id, false);
  auto before = events.events().size();
  manager.vmm_exited(vm.id, {42, 420}, {VmmExit::How::signalled, 15});  // our own stop's SIGTERM
  EXPECT_EQ(state_of(vm.id), VmState::stopped);
  EXPECT_EQ(events.events().size(), before);
}

TEST_F(VmManagerTest, VmmExitWaitsForAStopInProgress) {
  auto vm = running();
  std::promise<void> stopping;
  std::promise<void> release;
  EXPECT_CALL(backend, stop(_, _)).WillOnce(Invoke([&](const std::string&, std::chrono::milliseconds) {
    stopping.set_value();
    release.get_future().wait();
  }));
  auto stop = std::async(std::launch::async, [&] { manager.stop(vm.id, false); });
  stopping.get_future().wait();
  auto exited = std::async(std::launch::async, [&] { manager.vmm_exited(vm.id, {42, 420}, {VmmExit::How::exited, 0}); });
  EXPECT_EQ(exited.wait_for(100ms), std::future_status::timeout) << "the exit must wait for the VM's lock";
  release.set_value();
  stop.get();
  exited.get();
  EXPECT_EQ(state_of(vm.id), VmState::stopped);
  EXPECT_EQ(events.events().back().reason, "stopped") << "banger's own stop is not reported as the guest's";
}

// A bangerd killed between a Delete's cleanup and the removal of the row (the
// crash test's fault point delete.cleaned) left a row whose disks were gone:
// the recorded intent has the next bangerd finish the delete.
TEST_F(RecoverTest, FinishesADeleteThatWasCutOff) {
  auto half_deleted = running("half-deleted");
  auto kept = created("kept");
  DeleteIntents(runtime / "deleting").record(half_deleted.id);
  DeleteIntents(runtime / "deleting").record("0123456789abcdef0123456789abcdef");  // its row already went
  EXPECT_CALL(backend, adopt(handles_42)).WillRepeatedly(Return(true));
  EXPECT_CALL(backend, kill(handles_42));
  EXPECT_CALL(*cap, cleanup(_, _)).Times(::testing::AnyNumber());
  EXPECT_CALL(*cap, cleanup(::testing::Field(&VmRecord::id, half_deleted.id), CleanupReason::deleted));
  restarted.recover();
  EXPECT_FALSE(store.find_vm(half_deleted.id));
  EXPECT_FALSE(std::filesystem::exists(handles_file(half_deleted.id)));
  EXPECT_EQ(state_of(kept.id), VmState::created);
  EXPECT_TRUE(DeleteIntents(runtime / "deleting").recorded().empty());
}

// The intent is dropped with the row, so a later restart leaves everything alone.
TEST_F(VmManagerTest, DeleteLeavesNoIntentBehind) {
  auto vm = created("gone");
  manager.remove(vm.id);
  EXPECT_TRUE(DeleteIntents(runtime / "deleting").recorded().empty());
  EXPECT_FALSE(store.find_vm(vm.id));
}

}  // namespace
}  // namespace banger
