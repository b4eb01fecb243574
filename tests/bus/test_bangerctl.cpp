// (d) bangerctl end to end against bangerd-test on the private bus, and its
// exit statuses: 2 usage/invalid arguments, 3 not found, 4 denied, 5 unreachable.
#include <string>
#include <vector>

#include "test_support.h"

namespace banger::test {
namespace {

class Bangerctl : public ClientTest {
 protected:
  RunResult ctl(const std::vector<std::string>& args, const std::string& user = "",
                const EnvOverrides& env_overrides = {}) {
    std::vector<std::string> argv{env().bangerctl(), "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    return env().run_as(user, argv, 60s, env_overrides);
  }
};

// j[key] when j is an object holding key, else null: never throws.
nlohmann::json at(const nlohmann::json& j, const std::string& key) {
  return j.is_object() && j.contains(key) ? j[key] : nlohmann::json();
}

std::string text_at(const nlohmann::json& j, const std::string& key) {
  auto v = at(j, key);
  return v.is_string() ? v.get<std::string>() : "";
}

const nlohmann::json* find_by_name(const nlohmann::json& list, const std::string& name) {
  if (!list.is_array()) return nullptr;
  for (const auto& vm : list)
    if (at(vm, "name") == name) return &vm;
  return nullptr;
}

TEST_F(Bangerctl, Lifecycle) {
  auto created = ctl({"create", "ctl-vm", "--memory", "256", "--backend", "test", "--json"});
  ASSERT_TRUE(created.ok()) << created.describe();
  auto vm = json_of(created);
  ASSERT_TRUE(vm.is_object()) << created.out;
  EXPECT_EQ(at(vm, "name"), "ctl-vm") << created.out;
  EXPECT_EQ(at(vm, "memory_mib"), 256u) << created.out;
  EXPECT_EQ(at(vm, "owner_uid"), 0u) << created.out;
  EXPECT_EQ(at(vm, "backend"), "test") << created.out;
  const std::string id = text_at(vm, "id");
  ASSERT_FALSE(id.empty()) << created.out;
  const std::string path = client_->get_vm(id);
  EXPECT_EQ(at(vm, "path"), path) << created.out;
  ASSERT_TRUE(client_->wait_state(*recorder_, path, "created")) << client_->vm_string(path, "State");

  auto list = ctl({"list", "--json"});
  ASSERT_TRUE(list.ok()) << list.describe();
  const auto vms = json_of(list);
  const auto* listed = find_by_name(vms, "ctl-vm");
  ASSERT_TRUE(listed) << list.out;
  EXPECT_EQ(at(*listed, "id"), id) << list.out;
  EXPECT_EQ(at(*listed, "state"), "created") << list.out;

  auto table = ctl({"list"});
  ASSERT_TRUE(table.ok()) << table.describe();
  EXPECT_NE(table.out.find("ctl-vm"), std::string::npos) << table.out;

  auto show = ctl({"show", "ctl-vm"});
  ASSERT_TRUE(show.ok()) << show.describe();
  EXPECT_NE(show.out.find("ctl-vm"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find(id), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("Backend:    test\n"), std::string::npos) << show.out;

  auto start = ctl({"start", "ctl-vm"});
  ASSERT_TRUE(start.ok()) << start.describe();
  auto wait = ctl({"wait", "ctl-vm", "running", "--timeout", "30"});
  ASSERT_TRUE(wait.ok()) << wait.describe();
  EXPECT_EQ(client_->vm_string(path, "State"), "running");

  auto stop = ctl({"stop", "ctl-vm"});
  ASSERT_TRUE(stop.ok()) << stop.describe();
  auto stopped = ctl({"wait", id.substr(0, 10), "stopped", "--timeout", "30"});
  ASSERT_TRUE(stopped.ok()) << stopped.describe();
  EXPECT_EQ(client_->vm_string(path, "State"), "stopped");

  auto rename = ctl({"set", "ctl-vm", "--name", "ctl-renamed"});
  ASSERT_TRUE(rename.ok()) << rename.describe();
  EXPECT_EQ(client_->get_vm("ctl-renamed"), path) << "a rename keeps the object path";
  auto show_json = ctl({"show", "ctl-renamed", "--json"});
  ASSERT_TRUE(show_json.ok()) << show_json.describe();
  EXPECT_EQ(at(json_of(show_json), "name"), "ctl-renamed") << show_json.out;

  auto rm = ctl({"rm", "ctl-renamed"});
  ASSERT_TRUE(rm.ok()) << rm.describe();
  auto e = error_of([&] { client_->get_vm(id); });
  ASSERT_TRUE(e) << "the VM should be gone";
  EXPECT_EQ(e->getName(), banger::bus::error::no_such_vm);
}

// Issue 19: bangerctl pause / resume; `wait` knows the state paused; delete --force ends a paused VM.
TEST_F(Bangerctl, PauseAndResume) {
  auto created = ctl({"create", "ctl-pause", "--memory", "256", "--backend", "test", "--start"});
  ASSERT_TRUE(created.ok()) << created.describe();
  const std::string path = client_->get_vm("ctl-pause");
  ASSERT_TRUE(client_->wait_state(*recorder_, path, "running")) << client_->vm_string(path, "State");
  auto paused = ctl({"pause", "ctl-pause"});
  ASSERT_TRUE(paused.ok()) << paused.describe();
  EXPECT_EQ(client_->vm_string(path, "State"), "paused");
  auto waited = ctl({"wait", "ctl-pause", "paused", "--timeout", "5"});
  EXPECT_TRUE(waited.ok()) << waited.describe();
  auto again = ctl({"pause", "ctl-pause"});
  EXPECT_FALSE(again.ok()) << "a paused VM is not paused again";
  auto resumed = ctl({"resume", "ctl-pause"});
  ASSERT_TRUE(resumed.ok()) << resumed.describe();
  EXPECT_EQ(client_->vm_string(path, "State"), "running");
  ASSERT_TRUE(ctl({"pause", "ctl-pause"}).ok());
  auto removed = ctl({"delete", "--force", "ctl-pause"});
  EXPECT_TRUE(removed.ok()) << removed.describe();
  EXPECT_TRUE(error_of([&] { client_->get_vm("ctl-pause"); }).has_value()) << "deleted";
}

// Issue 19: bangerctl snapshot create|list|restore|rm against the stand-in backend.
TEST_F(Bangerctl, SnapshotVerbs) {
  auto created = ctl({"create", "ctl-snap", "--memory", "256", "--backend", "test", "--start"});
  ASSERT_TRUE(created.ok()) << created.describe();
  const std::string path = client_->get_vm("ctl-snap");
  auto warm = ctl({"snapshot", "create", "ctl-snap", "warm"});
  ASSERT_TRUE(warm.ok()) << warm.describe();
  EXPECT_EQ(warm.out.size(), 33u) << "its id and a newline: " << warm.out;
  EXPECT_EQ(client_->vm_string(path, "State"), "running") << "the VM goes on";
  ASSERT_TRUE(ctl({"kill", "ctl-snap"}).ok());
  auto cold = ctl({"--json", "snapshot", "create", "ctl-snap", "cold"});
  ASSERT_TRUE(cold.ok()) << cold.describe();
  const auto cold_json = json_of(cold);
  ASSERT_TRUE(cold_json.is_array() && cold_json.size() == 1) << cold.out;
  EXPECT_EQ(at(cold_json[0], "has_memory"), false);
  EXPECT_EQ(text_at(cold_json[0], "parent"), "warm");
  EXPECT_EQ(text_at(cold_json[0], "vm"), "ctl-snap");

  auto list = ctl({"--json", "snapshot", "list", "ctl-snap"});
  ASSERT_TRUE(list.ok()) << list.describe();
  const auto listed = json_of(list);
  ASSERT_TRUE(find_by_name(listed, "warm")) << list.out;
  EXPECT_EQ(at(*find_by_name(listed, "warm"), "has_memory"), true);
  EXPECT_TRUE(find_by_name(listed, "cold")) << list.out;
  auto table = ctl({"snapshot", "ls"});
  EXPECT_NE(table.out.find("MEMORY"), std::string::npos) << table.describe();
  EXPECT_NE(table.out.find("warm"), std::string::npos) << table.describe();

  auto restored = ctl({"snapshot", "restore", "ctl-snap", "warm"});
  ASSERT_TRUE(restored.ok()) << restored.describe();
  EXPECT_EQ(client_->vm_string(path, "State"), "running") << "a memory checkpoint runs on";
  auto dup = ctl({"snapshot", "create", "ctl-snap", "warm"});
  EXPECT_EQ(dup.exit_code, 1) << dup.describe();
  auto bad = ctl({"snapshot", "create", "ctl-snap", "Bad Name"});
  EXPECT_EQ(bad.exit_code, 2) << bad.describe();
  auto missing = ctl({"snapshot", "restore", "ctl-snap", "nope"});
  EXPECT_EQ(missing.exit_code, 3) << missing.describe();
  auto rm = ctl({"snapshot", "rm", "ctl-snap", "warm"});
  ASSERT_TRUE(rm.ok()) << rm.describe();
  auto after = json_of(ctl({"--json", "snapshot", "list", "ctl-snap"}));
  EXPECT_FALSE(find_by_name(after, "warm"));
  ASSERT_TRUE(find_by_name(after, "cold")) << after.dump();
  EXPECT_EQ(text_at(*find_by_name(after, "cold"), "parent"), "") << "its parent is gone";
  ASSERT_TRUE(ctl({"delete", "--force", "ctl-snap"}).ok());
  EXPECT_TRUE(json_of(ctl({"--json", "snapshot", "list"})).empty()) << "the VM's delete took the rest";
}

TEST_F(Bangerctl, CreateWithStart) {
  auto created = ctl({"create", "ctl-started", "--start", "--json"});
  ASSERT_TRUE(created.ok()) << created.describe();
  EXPECT_EQ(at(json_of(created), "state"), "running") << created.out;
  auto rm_running = ctl({"rm", "ctl-started"});
  EXPECT_EQ(rm_running.exit_code, 1) << "deleting a running VM is an invalid state\n" << rm_running.describe();
  auto rm_forced = ctl({"rm", "--force", "ctl-started"});
  EXPECT_TRUE(rm_forced.ok()) << rm_forced.describe();
}

TEST_F(Bangerctl, NotFoundExitsThree) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"show", "no-such-vm"}, {"start", "no-such-vm"}, {"rm", "no-such-vm"}}) {
    auto r = ctl(args);
    EXPECT_EQ(r.exit_code, 3) << r.describe();
    EXPECT_NE(r.err.find("no-such-vm"), std::string::npos) << r.describe();
  }
}

TEST_F(Bangerctl, DeniedExitsFour) {
  auto create = ctl({"--no-ask-password", "create", "eve-ctl"}, "banger-eve");
  EXPECT_EQ(create.exit_code, 4) << create.describe();
  auto asked = ctl({"create", "eve-ctl"}, "banger-eve");
  EXPECT_EQ(asked.exit_code, 4) << "no agent to ask: still denied\n" << asked.describe();
  EXPECT_TRUE(error_of([&] { client_->get_vm("eve-ctl"); }));

  client_->create_ready(*recorder_, "ctl-roots");
  auto start = ctl({"--no-ask-password", "start", "ctl-roots"}, "banger-alice");
  EXPECT_EQ(start.exit_code, 4) << start.describe();
  auto show = ctl({"show", "ctl-roots"}, "banger-eve");
  EXPECT_TRUE(show.ok()) << "reading needs no authorization\n" << show.describe();
}

TEST_F(Bangerctl, NetworkVerbs) {
  auto created = ctl({"--json", "network", "create", "ctlnet", "--subnet", "10.77.0.0/24", "--no-nat",
                      "--dns-domain", "ctl.test"});
  ASSERT_TRUE(created.ok()) << created.describe();
  auto net = json_of(created);
  EXPECT_EQ(text_at(net, "name"), "ctlnet");
  EXPECT_EQ(text_at(net, "subnet"), "10.77.0.0/24");
  EXPECT_EQ(text_at(net, "gateway"), "10.77.0.1");
  EXPECT_EQ(text_at(net, "bridge"), "bg-ctlnet");
  EXPECT_EQ(text_at(net, "dns_domain"), "ctl.test");
  EXPECT_EQ(at(net, "nat"), false);

  auto list = ctl({"--json", "network", "list"});
  ASSERT_TRUE(list.ok()) << list.describe();
  EXPECT_TRUE(find_by_name(json_of(list), "default")) << list.out;
  EXPECT_TRUE(find_by_name(json_of(list), "ctlnet")) << list.out;
  auto table = ctl({"network", "ls"});
  EXPECT_NE(table.out.find("10.77.0.0/24"), std::string::npos) << table.describe();

  auto on = ctl({"network", "nat", "ctlnet", "on"});
  EXPECT_TRUE(on.ok()) << on.describe();
  auto shown = ctl({"--json", "network", "show", "ctlnet"});
  EXPECT_EQ(at(json_of(shown), "nat"), true) << shown.describe();
  auto details = ctl({"network", "show", "ctlnet"});
  EXPECT_NE(details.out.find("NAT:        on"), std::string::npos) << details.describe();

  auto bad_state = ctl({"network", "nat", "ctlnet", "maybe"});
  EXPECT_EQ(bad_state.exit_code, 2) << bad_state.describe();
  auto overlap = ctl({"network", "create", "ctlnet2", "--subnet", "10.77.0.0/16"});
  EXPECT_EQ(overlap.exit_code, 2) << overlap.describe();
  EXPECT_NE(overlap.err.find("ctlnet"), std::string::npos) << "names the clash\n" << overlap.describe();
  auto exists = ctl({"network", "create", "ctlnet"});
  EXPECT_EQ(exists.exit_code, 1) << exists.describe();
  auto denied = ctl({"--no-ask-password", "network", "nat", "ctlnet", "off"}, "banger-eve");
  EXPECT_EQ(denied.exit_code, 4) << denied.describe();

  auto rm = ctl({"network", "rm", "ctlnet"});
  EXPECT_TRUE(rm.ok()) << rm.describe();
  auto gone = ctl({"network", "show", "ctlnet"});
  EXPECT_EQ(gone.exit_code, 3) << gone.describe();
  auto rm_default = ctl({"network", "rm", "default"});
  EXPECT_EQ(rm_default.exit_code, 1) << rm_default.describe();
}

TEST_F(Bangerctl, InvalidArgumentsExitTwo) {
  auto bad_name = ctl({"create", "Bad_Name"});
  EXPECT_EQ(bad_name.exit_code, 2) << bad_name.describe();
  EXPECT_NE(bad_name.err.find("Bad_Name"), std::string::npos) << bad_name.describe();
  auto bad_memory = ctl({"create", "ctl-tiny", "--memory", "64"});
  EXPECT_EQ(bad_memory.exit_code, 2) << bad_memory.describe();
  auto bad_backend = ctl({"create", "ctl-bochs", "--backend", "bochs"});
  EXPECT_EQ(bad_backend.exit_code, 2) << bad_backend.describe();
  EXPECT_NE(bad_backend.err.find("bochs"), std::string::npos) << bad_backend.describe();
  auto no_verb = ctl({});
  EXPECT_EQ(no_verb.exit_code, 2) << no_verb.describe();
  auto bad_flag = ctl({"list", "--no-such-flag"});
  EXPECT_EQ(bad_flag.exit_code, 2) << bad_flag.describe();

  client_->create_ready(*recorder_, "ctlamb-one");
  client_->create_ready(*recorder_, "ctlamb-two");
  auto ambiguous = ctl({"show", "ctlamb"});
  EXPECT_EQ(ambiguous.exit_code, 2) << ambiguous.describe();
}

TEST_F(Bangerctl, UnreachableBusExitsFive) {
  const std::string dead = "unix:path=" + (env().dir() / "no-such-bus.sock").string();
  auto r = ctl({"list"}, "", {{"DBUS_SYSTEM_BUS_ADDRESS", dead}});
  EXPECT_EQ(r.exit_code, 5) << r.describe();
  EXPECT_FALSE(r.err.empty());
}

}  // namespace
}  // namespace banger::test
