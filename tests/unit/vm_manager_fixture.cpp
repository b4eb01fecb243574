// VmManagerTest's out-of-line parts (see vm_manager_fixture.h): compiled once for
// every test executable that uses the fixture, not once per test file.
#include "vm_manager_fixture.h"

namespace banger {

VmManagerTest::VmManagerTest() {
  ON_CALL(backend, name()).WillByDefault(Return("mock"));
  ON_CALL(backend, launch(_)).WillByDefault(Return(handles_42));
  ON_CALL(backend, status(_)).WillByDefault(Return(VmmStatus::running));
  backends.add(backend);
}

VmManagerTest::~VmManagerTest() { std::filesystem::remove_all(runtime); }

std::string VmManagerTest::handles_on_disk(const std::string& id) {
  std::ifstream in(handles_file(id));
  if (!in) return "";
  auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("backend"), "mock");
  return j.at("handles").dump();
}

VmRecord VmManagerTest::created(const std::string& name) {
  auto vm = manager.begin_create({name, 2, 256, "default", {}}, 1000);
  return manager.finish_create(vm.id, progress);
}

VmRecord VmManagerTest::running(const std::string& name) { return manager.start(created(name).id); }

VmState VmManagerTest::state_of(const std::string& id) { return store.find_vm(id).value().state; }

}  // namespace banger
