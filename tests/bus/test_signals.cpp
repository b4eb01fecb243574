// (b) Signals: ObjectManager, PropertiesChanged, StateChanged and the
// Operation's Finished, recorded by an sdbus-c++ client on the private bus.
#include <algorithm>
#include <filesystem>
#include <string>

#include "test_support.h"

namespace banger::test {
namespace {

class Signals : public ClientTest {
 protected:
  // Index of the first recorded signal matching `pred` (-1 if none).
  long index_of(const SignalRecorder::Predicate& pred) {
    long i = 0;
    for (const auto& s : recorder_->matching([](const Signal&) { return true; })) {
      if (pred(s)) return i;
      ++i;
    }
    return -1;
  }
  SignalRecorder::Predicate state_is(const std::string& vm, const std::string& state) {
    return [vm, state](const Signal& s) { return s.state_changed_to(vm, state); };
  }
  SignalRecorder::Predicate transition(const std::string& vm, const std::string& from, const std::string& to) {
    return [=](const Signal& s) {
      return s.path == vm && s.interface == kVm && s.member == "StateChanged" && s.args.size() == 3 &&
             s.args[0] == from && s.args[1] == to;
    };
  }
  SignalRecorder::Predicate finished(const std::string& op) {
    return [op](const Signal& s) { return s.path == op && s.interface == kOperation && s.member == "Finished"; };
  }
  SignalRecorder::Predicate removed(const std::string& vm) {
    return [vm](const Signal& s) {
      return s.path == kRoot && s.interface == kObjectManager && s.member == "InterfacesRemoved" && s.object == vm &&
             std::find(s.interfaces.begin(), s.interfaces.end(), kVm) != s.interfaces.end();
    };
  }
};

TEST_F(Signals, CreateAnnouncesTheVmAndFinishesTheOperation) {
  auto [vm, op] = client_->create_vm("sig-create");

  auto added = recorder_->wait_for([&](const Signal& s) {
    return s.path == kRoot && s.interface == kObjectManager && s.member == "InterfacesAdded" && s.object == vm;
  });
  ASSERT_TRUE(added) << "no InterfacesAdded for " << vm;
  EXPECT_NE(std::find(added->interfaces.begin(), added->interfaces.end(), kVm), added->interfaces.end());
  ASSERT_TRUE(added->properties.count("State"));
  EXPECT_EQ(added->properties.at("State"), Value{std::string("creating")});
  EXPECT_EQ(added->properties.at("Name"), Value{std::string("sig-create")});
  EXPECT_EQ(added->properties.at("OwnerUID"), Value{std::uint64_t{0}});

  auto done = recorder_->wait_for(finished(op));
  ASSERT_TRUE(done) << "no Finished from " << op;
  EXPECT_TRUE(done->success);
  EXPECT_EQ(done->args.at(0), "");
  ASSERT_TRUE(recorder_->wait_for(state_is(vm, "created"))) << "no PropertiesChanged(State=created)";
  EXPECT_TRUE(recorder_->wait_for(transition(vm, "creating", "created")));

  // The finished Operation lingers (operation_linger_s = 30) for late readers.
  EXPECT_EQ(client_->property(op, kOperation, "Done"), Value{true});
  EXPECT_EQ(client_->property(op, kOperation, "Error"), Value{std::string()});
  EXPECT_EQ(client_->property(op, kOperation, "Target"), Value{vm});
  EXPECT_EQ(client_->property(op, kOperation, "Kind"), Value{std::string("create-vm")});
}

TEST_F(Signals, StartGoesCreatedStartingRunning) {
  const std::string vm = client_->create_ready(*recorder_, "sig-start");
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(recorder_->wait_for(state_is(vm, "running"))) << "no PropertiesChanged(State=running)";

  long created = index_of(state_is(vm, "created"));
  long starting = index_of(state_is(vm, "starting"));
  long running = index_of(state_is(vm, "running"));
  EXPECT_GE(created, 0);
  EXPECT_GT(starting, created) << "starting must follow created";
  EXPECT_GT(running, starting) << "running must follow starting";

  auto to_starting = recorder_->wait_for(transition(vm, "created", "starting"));
  ASSERT_TRUE(to_starting) << "no StateChanged(created, starting, …)";
  EXPECT_TRUE(recorder_->wait_for(transition(vm, "starting", "running"))) << "no StateChanged(starting, running, …)";
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");

  client_->stop(vm);
  ASSERT_TRUE(recorder_->wait_for(state_is(vm, "stopped"))) << "no PropertiesChanged(State=stopped)";
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) {
    return s.path == vm && s.member == "StateChanged" && s.args.size() == 3 && s.args[1] == "stopped";
  }));
}

TEST_F(Signals, DeleteRemovesTheInterfaces) {
  const std::string vm = client_->create_ready(*recorder_, "sig-delete");
  client_->vm_call(vm, "Delete");
  EXPECT_TRUE(recorder_->wait_for(removed(vm))) << "no InterfacesRemoved for " << vm;
  auto e = error_of([&] { client_->get_vm("sig-delete"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->getName(), banger::bus::error::no_such_vm);
}

TEST_F(Signals, TouchAndSetEmitPropertiesChanged) {
  const std::string vm = client_->create_ready(*recorder_, "sig-touch");
  const auto before = client_->vm_number(vm, "UpdatedAt");
  client_->vm_call(vm, "Touch");
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) {
    return s.path == vm && s.member == "PropertiesChanged" && s.properties.count("UpdatedAt");
  })) << "no PropertiesChanged(UpdatedAt)";
  EXPECT_GE(client_->vm_number(vm, "UpdatedAt"), before);

  client_->set(vm, {{"memory", sdbus::Variant(std::uint32_t{256})}});
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) {
    return s.path == vm && s.member == "PropertiesChanged" && s.properties.count("MemoryMiB") &&
           s.properties.at("MemoryMiB") == Value{std::uint64_t{256}};
  })) << "no PropertiesChanged(MemoryMiB)";
}

TEST_F(Signals, ProvisionFaultRemovesTheVmAndFailsTheOperation) {
  env().set_faults({"provision"});
  auto [vm, op] = client_->create_vm("sig-fail");

  EXPECT_TRUE(recorder_->wait_for(removed(vm))) << "no InterfacesRemoved for the failed VM";
  auto done = recorder_->wait_for(finished(op));
  ASSERT_TRUE(done) << "no Finished from " << op;
  EXPECT_FALSE(done->success);
  const std::string error = done->args.at(0);
  EXPECT_FALSE(error.empty());
  std::string lower = error;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  EXPECT_NE(lower.find("provision"), std::string::npos) << "the error should name the failure: " << error;

  EXPECT_EQ(client_->property(op, kOperation, "Done"), Value{true});
  EXPECT_EQ(client_->property(op, kOperation, "Error"), Value{error});
  auto e = error_of([&] { client_->get_vm("sig-fail"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->getName(), banger::bus::error::no_such_vm);

  // Nothing left behind: no row in the store, no directory of the VM.
  auto added = recorder_->wait_for(
      [&](const Signal& s) { return s.member == "InterfacesAdded" && s.object == vm && s.properties.count("Id"); });
  ASSERT_TRUE(added);
  const std::string id = to_string(added->properties.at("Id"));
  ASSERT_EQ(id.size(), 32u) << id;
  EXPECT_TRUE(std::filesystem::exists(env().dir() / "state" / "vms")) << "provisioning made the VM's directory";
  EXPECT_FALSE(std::filesystem::exists(env().dir() / "state" / "vms" / id));
  auto rows = env().run_as("", {"/usr/bin/sqlite3", (env().dir() / "state" / "banger.db").string(),
                                "SELECT count(*) FROM vms WHERE id = '" + id + "'"});
  ASSERT_TRUE(rows.ok()) << rows.describe();
  EXPECT_EQ(rows.out, "0\n");

  // The name is free again once the fault is gone.
  env().set_faults({});
  EXPECT_NO_THROW(client_->create_ready(*recorder_, "sig-fail"));
}

}  // namespace
}  // namespace banger::test
