// (a) bangerd through plain busctl command lines: the tree, CreateVM with
// options, properties, introspection and renaming.
#include <string>

#include "banger/object_path.h"
#include "test_support.h"

namespace banger::test {
namespace {

class Busctl : public ClientTest {};

TEST_F(Busctl, TreeShowsTheVmAfterCreateVM) {
  auto created = env().busctl("", create_args("tree-vm"));
  ASSERT_TRUE(created.ok()) << created.describe();
  auto data = busctl_data(created);
  ASSERT_TRUE(data.is_array() && data.size() == 2) << created.out;
  const std::string vm = data[0].get<std::string>();
  const std::string op = data[1].get<std::string>();
  EXPECT_EQ(vm.rfind(std::string(banger::bus::vm_path_prefix) + "/", 0), 0u) << vm;
  EXPECT_EQ(op.rfind(std::string(banger::bus::operation_path_prefix) + "/", 0), 0u) << op;

  auto tree = env().busctl("", {"tree", kService});
  ASSERT_TRUE(tree.ok()) << tree.describe();
  EXPECT_NE(tree.out.find(kRoot), std::string::npos) << tree.out;
  EXPECT_NE(tree.out.find(vm), std::string::npos) << tree.out;
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "created"));
}

TEST_F(Busctl, CreateVMWithOptionsThenGetProperties) {
  const std::string vcpus = std::to_string(max_vcpus(2));
  auto created = env().busctl("", {"--json=short", "call", kService, kRoot, kManager, "CreateVM", "sa{sv}", "web",
                                   "2", "vcpus", "u", vcpus, "memory", "u", "256"});
  ASSERT_TRUE(created.ok()) << created.describe();
  auto data = busctl_data(created);
  ASSERT_TRUE(data.is_array() && data.size() == 2) << created.out;
  const std::string vm = data[0].get<std::string>();

  auto get = [&](const std::string& property) {
    auto r = env().busctl("", {"--json=short", "get-property", kService, vm, kVm, property});
    EXPECT_TRUE(r.ok()) << r.describe();
    return busctl_data(r);
  };
  auto state = get("State");
  ASSERT_TRUE(state.is_string());
  EXPECT_TRUE(state == "creating" || state == "created") << state;

  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "created")) << client_->vm_string(vm, "State");
  EXPECT_EQ(get("State"), "created");
  EXPECT_EQ(get("VCPUs"), std::stoul(vcpus));
  EXPECT_EQ(get("MemoryMiB"), 256u);
  EXPECT_EQ(get("Name"), "web");
  EXPECT_EQ(get("OwnerUID"), 0u);
  EXPECT_EQ(get("LastError"), "");

  auto id = get("Id");
  ASSERT_TRUE(id.is_string());
  EXPECT_EQ(banger::bus::vm_path(id.get<std::string>()), vm) << "the object path encodes the id";
  auto created_at = get("CreatedAt");
  EXPECT_TRUE(created_at.is_number_unsigned() && created_at.get<std::uint64_t>() > 0) << created_at;

  auto by_name = env().busctl("", {"--json=short", "call", kService, kRoot, kManager, "GetVM", "s", "web"});
  ASSERT_TRUE(by_name.ok()) << by_name.describe();
  EXPECT_EQ(busctl_data(by_name)[0], vm);
  auto by_id = env().busctl("", {"--json=short", "call", kService, kRoot, kManager, "GetVM", "s", id});
  ASSERT_TRUE(by_id.ok()) << by_id.describe();
  EXPECT_EQ(busctl_data(by_id)[0], vm);
}

TEST_F(Busctl, ListVMsShowsIdNameStateAndPath) {
  const std::string vm = client_->create_ready(*recorder_, "listed-vm");
  auto r = env().busctl("", {"--json=short", "call", kService, kRoot, kManager, "ListVMs"});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto rows = busctl_data(r);
  ASSERT_TRUE(rows.is_array() && rows.size() == 1 && rows[0].is_array()) << r.out;
  bool found = false;
  for (const auto& row : rows[0]) {
    ASSERT_TRUE(row.is_array() && row.size() == 4) << row;
    if (row[1] != "listed-vm") continue;
    found = true;
    EXPECT_EQ(row[2], "created");
    EXPECT_EQ(row[3], vm);
    EXPECT_EQ(banger::bus::vm_path(row[0].get<std::string>()), vm);
  }
  EXPECT_TRUE(found) << r.out;
}

TEST_F(Busctl, IntrospectShowsTheContract) {
  auto root = env().busctl("", {"introspect", kService, kRoot});
  ASSERT_TRUE(root.ok()) << root.describe();
  for (const char* expected : {"dev.banger.banger1.Manager", ".CreateVM", ".ListVMs", ".GetVM", ".StartVM", ".StopVM",
                               ".DeleteVM", ".Version", "org.freedesktop.DBus.ObjectManager", ".GetManagedObjects"})
    EXPECT_NE(root.out.find(expected), std::string::npos) << expected << " missing from\n" << root.out;

  const std::string vm = client_->create_ready(*recorder_, "introspected");
  auto object = env().busctl("", {"introspect", kService, vm});
  ASSERT_TRUE(object.ok()) << object.describe();
  for (const char* expected : {"dev.banger.banger1.VM", ".Start", ".Stop", ".Restart", ".Kill", ".Delete", ".Set",
                               ".Touch", ".StateChanged", ".State", ".VCPUs", ".MemoryMiB", ".OwnerUID", ".LastError",
                               "org.freedesktop.DBus.Properties"})
    EXPECT_NE(object.out.find(expected), std::string::npos) << expected << " missing from\n" << object.out;

  auto version = env().busctl("", {"--json=short", "get-property", kService, kRoot, kManager, "Version"});
  ASSERT_TRUE(version.ok()) << version.describe();
  auto v = busctl_data(version);
  EXPECT_TRUE(v.is_string() && !v.get<std::string>().empty()) << v;
}

TEST_F(Busctl, RenameKeepsTheObjectPath) {
  const std::string vm = client_->create_ready(*recorder_, "old-name");
  auto r = env().busctl("", {"call", kService, vm, kVm, "Set", "a{sv}", "1", "name", "s", "new-name"});
  ASSERT_TRUE(r.ok()) << r.describe();

  auto name = env().busctl("", {"--json=short", "get-property", kService, vm, kVm, "Name"});
  ASSERT_TRUE(name.ok()) << name.describe();
  EXPECT_EQ(busctl_data(name), "new-name");
  EXPECT_EQ(client_->get_vm("new-name"), vm);
  auto gone = error_of([&] { client_->get_vm("old-name"); });
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->getName(), banger::bus::error::no_such_vm);

  auto changed = recorder_->wait_for([&](const Signal& s) {
    return s.path == vm && s.member == "PropertiesChanged" && s.properties.count("Name") &&
           s.properties.at("Name") == Value{std::string("new-name")};
  });
  EXPECT_TRUE(changed) << "no PropertiesChanged(Name)";
}

TEST_F(Busctl, SetVcpusAndMemoryWhileStopped) {
  const std::string vm = client_->create_ready(*recorder_, "resized");
  auto r = env().busctl("", {"call", kService, vm, kVm, "Set", "a{sv}", "2", "vcpus", "u", "1", "memory", "u", "192"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(client_->vm_number(vm, "VCPUs"), 1u);
  EXPECT_EQ(client_->vm_number(vm, "MemoryMiB"), 192u);
}

TEST_F(Busctl, StartAndStopThroughTheManager) {
  const std::string vm = client_->create_ready(*recorder_, "by-ref");
  auto start = env().busctl("", {"call", kService, kRoot, kManager, "StartVM", "s", "by-ref"});
  ASSERT_TRUE(start.ok()) << start.describe();
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "State");
  auto stop = env().busctl("", {"call", kService, kRoot, kManager, "StopVM", "sb", "by-ref", "false"});
  ASSERT_TRUE(stop.ok()) << stop.describe();
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped")) << client_->vm_string(vm, "State");
  auto del = env().busctl("", {"call", kService, kRoot, kManager, "DeleteVM", "s", "by-ref"});
  ASSERT_TRUE(del.ok()) << del.describe();
  auto gone = error_of([&] { client_->get_vm("by-ref"); });
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->getName(), banger::bus::error::no_such_vm);
}

}  // namespace
}  // namespace banger::test
