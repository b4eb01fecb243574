// bangerd answers GetManagedObjects itself (service/bus/managed_objects.cpp)
// instead of letting sd-bus walk every object. These tests hold it to what
// sd-bus would answer: every exported object with its standard interfaces and
// exactly the properties Properties.GetAll gives, and nothing that is gone.
#include <set>
#include <string>

#include "test_support.h"

namespace banger::test {
namespace {

class ObjectManager : public ClientTest {
 protected:
  nlohmann::json managed_objects() {
    auto r = env().busctl("root", {"--json=short", "call", kService, kRoot, kObjectManager, "GetManagedObjects"});
    EXPECT_TRUE(r.ok()) << r.describe();
    auto data = busctl_data(r);
    return data.is_array() && !data.empty() ? data[0] : nlohmann::json::object();
  }
  nlohmann::json get_all(const std::string& path, const std::string& interface) {
    auto r = env().busctl("root", {"--json=short", "call", kService, path, "org.freedesktop.DBus.Properties", "GetAll",
                                   "s", interface});
    EXPECT_TRUE(r.ok()) << r.describe();
    auto data = busctl_data(r);
    return data.is_array() && !data.empty() ? data[0] : nlohmann::json::object();
  }
  void expect_matches_get_all(const nlohmann::json& objects, const std::string& path, const std::string& interface) {
    SCOPED_TRACE(path);
    ASSERT_TRUE(objects.contains(path)) << objects.dump();
    const auto& interfaces = objects[path];
    std::set<std::string> names;
    for (const auto& [name, props] : interfaces.items()) names.insert(name);
    EXPECT_EQ(names, (std::set<std::string>{"org.freedesktop.DBus.Peer", "org.freedesktop.DBus.Introspectable",
                                            "org.freedesktop.DBus.Properties", interface}));
    EXPECT_EQ(interfaces[interface], get_all(path, interface));
  }
};

TEST_F(ObjectManager, EveryVmAndOperationAsGetAllSeesThem) {
  const std::string created = client_->create_ready(*recorder_, "om-created", {{"vcpus", sdbus::Variant(1u)}});
  const std::string running = client_->create_ready(*recorder_, "om-running");
  client_->vm_call(running, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, running, "running"));
  env().set_faults({"start"});
  EXPECT_TRUE(error_of([&] { client_->vm_call(created, "Start"); }));
  env().set_faults({});

  auto objects = managed_objects();
  expect_matches_get_all(objects, created, kVm);
  expect_matches_get_all(objects, running, kVm);
  EXPECT_EQ(objects[created][kVm]["State"]["data"], "failed");
  EXPECT_FALSE(objects[created][kVm]["LastError"]["data"].get<std::string>().empty());

  // The operations of the two creates linger, finished, with their target.
  int operations = 0;
  for (const auto& [path, interfaces] : objects.items()) {
    if (!interfaces.contains(kOperation)) continue;
    ++operations;
    expect_matches_get_all(objects, path, kOperation);
    EXPECT_EQ(interfaces[kOperation]["Done"]["data"], true);
  }
  EXPECT_GE(operations, 2);
  client_->vm_call(running, "Kill");
}

TEST_F(ObjectManager, DeletedVmIsGoneAndRenameShows) {
  const std::string vm = client_->create_ready(*recorder_, "om-doomed");
  const std::string kept = client_->create_ready(*recorder_, "om-kept");
  client_->set(kept, {{"name", sdbus::Variant(std::string("om-renamed"))}});
  client_->vm_call(vm, "Delete");
  auto objects = managed_objects();
  EXPECT_FALSE(objects.contains(vm));
  ASSERT_TRUE(objects.contains(kept));
  EXPECT_EQ(objects[kept][kVm]["Name"]["data"], "om-renamed");
}

TEST_F(ObjectManager, IntrospectionListsTheSameInterfaces) {
  const std::string vm = client_->create_ready(*recorder_, "om-introspect");
  auto r = env().busctl("root", {"--json=short", "call", kService, vm, "org.freedesktop.DBus.Introspectable",
                                 "Introspect"});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto xml = busctl_data(r)[0].get<std::string>();
  const auto objects = managed_objects();
  ASSERT_TRUE(objects.contains(vm));
  for (const auto& [name, props] : objects[vm].items())
    EXPECT_NE(xml.find("<interface name=\"" + name + "\">"), std::string::npos) << name << "\n" << xml;
}

}  // namespace
}  // namespace banger::test
