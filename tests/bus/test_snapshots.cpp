// Named checkpoints on the bus (issue 19) with the stand-in backend, whose
// saved state is a line naming the VM and its VMM's pid: VM.Snapshot of a
// running, paused and stopped VM answers (snapshot, operation) and exports a
// dev.banger.banger1.Snapshot once done, listed in GetManagedObjects;
// Restore puts the VM back (running again from a memory checkpoint), Delete
// and the VM's Delete remove them; bad names, duplicates and options answer
// InvalidArgs or AlreadyExists, and another user is refused. Clone makes a
// new VM of a checkpoint's disks while its VM runs on.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;
namespace err = banger::bus::error;
using namespace std::chrono_literals;

const std::string kSnapshot = "dev.banger.banger1.Snapshot";

class Snapshots : public ClientTest {
 protected:
  // VM.Snapshot as root; the checkpoint's path once its Operation finished (empty on failure).
  std::string snapshot(const std::string& vm, const std::string& name) {
    auto r = as("", vm, kVm, {"Snapshot", "sa{sv}", name, "0"});
    EXPECT_EQ(r.error_name, "") << r.error_message;
    if (r.values.size() != 2) return "";
    const std::string op = r.values[1];
    auto finished = recorder_->wait_for([&](const Signal& s) { return s.path == op && s.member == "Finished"; }, 15s);
    EXPECT_TRUE(finished && finished->success) << (finished ? finished->args.at(0) : "no Finished signal");
    EXPECT_TRUE(wait_added(r.values[0], 5s));
    return r.values[0];
  }
  sdbus::IConnection& connection() {
    if (!connection_) connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
    return *connection_;
  }
  sdbus::Variant snapshot_property(const std::string& path, const std::string& name) {
    return sdbus::createProxy(connection(), kService, path)->getProperty(name).onInterface(kSnapshot);
  }
  std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>> managed_objects() {
    auto proxy = sdbus::createProxy(connection(), kService, kRoot);
    std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>> objects;
    proxy->callMethod("GetManagedObjects").onInterface(kObjectManager).storeResultsTo(objects);
    return objects;
  }
  fs::path files_of(const std::string& vm) { return env().dir() / "state" / "snapshots" / client_->vm_string(vm, "Id"); }
  std::string read(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
  }
  void TearDown() override {
    connection_.reset();
    ClientTest::TearDown();
  }
  std::unique_ptr<sdbus::IConnection> connection_;
};

TEST_F(Snapshots, ACheckpointOfARunningVmHoldsItsMemoryAndTheVmRunsOn) {
  const std::string vm = running_vm("snap-running");
  const pid_t pid = vmm_pid(vm);
  const std::string s = snapshot(vm, "warm");
  ASSERT_NE(s, "");
  EXPECT_EQ(s.rfind(vm + "/snapshot/", 0), 0u) << s;
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_EQ(vmm_pid(vm), pid) << "the same VMM runs on";
  EXPECT_EQ(snapshot_property(s, "Name").get<std::string>(), "warm");
  EXPECT_TRUE(snapshot_property(s, "HasMemory").get<bool>());
  EXPECT_EQ(snapshot_property(s, "VM").get<sdbus::ObjectPath>(), vm);
  EXPECT_EQ(snapshot_property(s, "Parent").get<sdbus::ObjectPath>(), "/");
  EXPECT_GT(snapshot_property(s, "SizeBytes").get<std::uint64_t>(), 0u);
  EXPECT_GT(snapshot_property(s, "CreatedAt").get<std::uint64_t>(), 0u);
  const auto id = snapshot_property(s, "Id").get<std::string>();
  EXPECT_EQ(read(files_of(vm) / id / "vmm" / "state"),
            "test-vmm-state " + client_->vm_string(vm, "Id") + " pid " + std::to_string(pid));
  const auto objects = managed_objects();
  ASSERT_TRUE(objects.contains(sdbus::ObjectPath(s)));
  EXPECT_EQ(objects.at(sdbus::ObjectPath(s)).at(kSnapshot).at("Name").get<std::string>(), "warm");
  client_->vm_call(vm, "Kill");
}

TEST_F(Snapshots, APausedVmStaysPausedAndAStoppedOneGivesItsDisksOnly) {
  const std::string vm = running_vm("snap-paused");
  client_->vm_call(vm, "Pause");
  const std::string held = snapshot(vm, "held");
  EXPECT_TRUE(snapshot_property(held, "HasMemory").get<bool>());
  EXPECT_EQ(client_->vm_string(vm, "State"), "paused");
  client_->vm_call(vm, "Kill");
  const std::string cold = snapshot(vm, "cold");
  EXPECT_FALSE(snapshot_property(cold, "HasMemory").get<bool>());
  EXPECT_EQ(snapshot_property(cold, "Parent").get<sdbus::ObjectPath>(), held) << "taken after 'held'";
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
}

TEST_F(Snapshots, RestoreOfAMemoryCheckpointRunsTheVmFromItAndOfADiskOneLeavesItStopped) {
  const std::string vm = running_vm("snap-restore");
  const std::string disks = [&] {
    client_->vm_call(vm, "Kill");
    auto path = snapshot(vm, "disks");
    client_->vm_call(vm, "Start");
    return path;
  }();
  const std::string warm = snapshot(vm, "warm");
  const auto saved = read(files_of(vm) / snapshot_property(warm, "Id").get<std::string>() / "vmm" / "state");
  auto r = as("", warm, kSnapshot, {"Restore"});
  ASSERT_EQ(r.error_name, "") << r.error_message;
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_EQ(read(env().dir() / "run" / "vms" / client_->vm_string(vm, "Id") / "restored-from"), saved)
      << "the new VMM loaded the checkpoint's state";
  r = as("", disks, kSnapshot, {"Restore"});
  ASSERT_EQ(r.error_name, "") << r.error_message;
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  r = as("", warm, kSnapshot, {"Restore"});
  ASSERT_EQ(r.error_name, "") << "a checkpoint restores again: " << r.error_message;
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  client_->vm_call(vm, "Kill");
}

TEST_F(Snapshots, DeleteRemovesTheCheckpointAndTheVmsDeleteRemovesTheRest) {
  const std::string vm = client_->create_ready(*recorder_, "snap-delete");
  const std::string one = snapshot(vm, "one");
  const std::string two = snapshot(vm, "two");
  const auto one_id = snapshot_property(one, "Id").get<std::string>();
  auto r = as("", one, kSnapshot, {"Delete"});
  ASSERT_EQ(r.error_name, "") << r.error_message;
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) { return s.member == "InterfacesRemoved" && s.object == one; }));
  EXPECT_FALSE(fs::exists(files_of(vm) / one_id));
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) {
    return s.path == two && s.member == "PropertiesChanged";
  })) << "its child's Parent moved up";
  EXPECT_EQ(snapshot_property(two, "Parent").get<sdbus::ObjectPath>(), "/");
  const auto files = files_of(vm);
  client_->vm_call(vm, "Delete");
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) { return s.member == "InterfacesRemoved" && s.object == two; }));
  EXPECT_FALSE(fs::exists(files));
  EXPECT_FALSE(managed_objects().contains(sdbus::ObjectPath(two)));
}

TEST_F(Snapshots, BadNamesDuplicatesOptionsAndStatesAreRefused) {
  const std::string vm = client_->create_ready(*recorder_, "snap-bad");
  EXPECT_EQ(as("", vm, kVm, {"Snapshot", "sa{sv}", "", "0"}).error_name, err::invalid_args);
  EXPECT_EQ(as("", vm, kVm, {"Snapshot", "sa{sv}", "Not/Valid", "0"}).error_name, err::invalid_args);
  EXPECT_EQ(as("", vm, kVm, {"Snapshot", "sa{sv}", "ok", "1", "memory", "b", "true"}).error_name, err::invalid_args);
  snapshot(vm, "taken");
  auto dup = as("", vm, kVm, {"Snapshot", "sa{sv}", "taken", "0"});
  EXPECT_EQ(dup.error_name, err::exists) << dup.error_message;
  client_->vm_call(vm, "Start");
  client_->vm_call(vm, "Suspend");
  EXPECT_EQ(as("", vm, kVm, {"Snapshot", "sa{sv}", "late", "0"}).error_name, err::invalid_state);
}

TEST_F(Snapshots, AnotherUserMayNeitherTakeNorRestoreNorDelete) {
  const auto r = as("banger-alice", kRoot, kManager, {"CreateVM", "sa{sv}", "snap-alice", "0"});
  ASSERT_EQ(r.error_name, "") << r.error_message;
  const std::string vm = r.values[0];
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "created"));
  auto own = as("banger-alice", vm, kVm, {"Snapshot", "sa{sv}", "mine", "0"});
  ASSERT_EQ(own.error_name, "") << "the owner may: " << own.error_message;
  ASSERT_TRUE(wait_added(own.values[0]));
  // Without interaction, polkit's answer to a user it would ask for a password.
  const auto denied = [](const ProbeResult& r) {
    return r.error_name == err::access_denied || r.error_name == err::interactive_authorization_required;
  };
  EXPECT_TRUE(denied(as("banger-bob", vm, kVm, {"Snapshot", "sa{sv}", "theirs", "0"})));
  EXPECT_TRUE(denied(as("banger-bob", own.values[0], kSnapshot, {"Restore"})));
  EXPECT_TRUE(denied(as("banger-bob", own.values[0], kSnapshot, {"Delete"})));
  EXPECT_TRUE(managed_objects().contains(sdbus::ObjectPath(own.values[0])));
  EXPECT_EQ(as("banger-alice", own.values[0], kSnapshot, {"Delete"}).error_name, "");
}

// The last 8 bytes of a disk image (no file system there uses them): how a test tells copies apart.
void write_tail(const fs::path& disk, const std::string& mark) {
  std::fstream f(disk, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(fs::file_size(disk) - mark.size()));
  f << mark;
}
std::string tail_of(const fs::path& disk, std::size_t n) {
  std::ifstream f(disk, std::ios::binary);
  f.seekg(static_cast<std::streamoff>(fs::file_size(disk) - n));
  std::string text(n, '\0');
  f.read(text.data(), static_cast<std::streamsize>(n));
  return text;
}

TEST_F(Snapshots, ACloneOfACheckpointIsANewVmWithItsDisksWhileTheVmRunsOn) {
  const std::string vm = running_vm("snap-source");
  const pid_t pid = vmm_pid(vm);
  const fs::path work = env().dir() / "state" / "vms" / client_->vm_string(vm, "Id") / "work.ext4";
  ASSERT_TRUE(fs::exists(work));
  write_tail(work, "mark:cp1");
  const std::string s = snapshot(vm, "warm");
  write_tail(work, "mark:now");  // the VM's disk goes on changing; the checkpoint's does not
  auto r = as("", s, kSnapshot, {"Clone", "sa{sv}", "snap-copy", "0"});
  ASSERT_EQ(r.error_name, "") << r.error_message;
  ASSERT_EQ(r.values.size(), 2u);
  const std::string copy = r.values[0];
  const std::string op = r.values[1];
  auto finished = recorder_->wait_for([&](const Signal& sig) { return sig.path == op && sig.member == "Finished"; }, 30s);
  ASSERT_TRUE(finished && finished->success) << (finished ? finished->args.at(0) : "no Finished signal");
  EXPECT_EQ(client_->vm_string(copy, "State"), "created");
  EXPECT_EQ(client_->vm_string(copy, "Name"), "snap-copy");
  EXPECT_NE(client_->vm_string(copy, "Id"), client_->vm_string(vm, "Id"));
  EXPECT_NE(client_->vm_string(copy, "IPv4Address"), client_->vm_string(vm, "IPv4Address"));
  EXPECT_NE(client_->vm_string(copy, "MACAddress"), client_->vm_string(vm, "MACAddress"));
  EXPECT_EQ(tail_of(env().dir() / "state" / "vms" / client_->vm_string(copy, "Id") / "work.ext4", 8), "mark:cp1")
      << "the checkpoint's work disk, not the VM's";
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_EQ(vmm_pid(vm), pid) << "the VM ran on throughout";
  EXPECT_EQ(as("", s, kSnapshot, {"Clone", "sa{sv}", "snap-copy", "0"}).error_name, err::exists);
  EXPECT_EQ(as("", s, kSnapshot, {"Clone", "sa{sv}", "Bad Name", "0"}).error_name, err::invalid_args);
  EXPECT_EQ(as("", s, kSnapshot, {"Clone", "sa{sv}", "snap-copy-2", "1", "fork", "b", "true"}).error_name,
            err::invalid_args)
      << "no options yet";
  // The copy is a VM of its own: it starts, and the checkpoint's VM can go first.
  client_->vm_call(vm, "Kill");
  client_->vm_call(vm, "Delete");
  client_->vm_call(copy, "Start");
  EXPECT_EQ(client_->vm_string(copy, "State"), "running");
  client_->vm_call(copy, "Kill");
}

TEST_F(Snapshots, CheckpointsAreExportedAgainAfterARestart) {
  const std::string vm = client_->create_ready(*recorder_, "snap-restart");
  const std::string s = snapshot(vm, "kept");
  ASSERT_NO_THROW(env().restart_daemon());
  EXPECT_EQ(snapshot_property(s, "Name").get<std::string>(), "kept");
  EXPECT_TRUE(managed_objects().contains(sdbus::ObjectPath(s)));
}

}  // namespace
}  // namespace banger::test
