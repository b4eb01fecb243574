// VM.Ports and `bangerctl ports` against bangerd-test, whose VMs have no
// network: the property is there with its type, stays empty (no guest is
// polled), and the verb prints it. Real guests' ports: tests/qemu/test_guest_ports.cpp.
#include <string>
#include <vector>

#include "test_support.h"

namespace banger::test {
namespace {

class Ports : public ClientTest {
 protected:
  RunResult ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{env().bangerctl(), "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    return env().run_as("", argv, 60s);
  }
};

TEST_F(Ports, AVmWithoutNetworkHasAnEmptyPortsProperty) {
  const std::string vm = running_vm("ports-fake");
  auto r = env().busctl("root", {"--json=short", "get-property", kService, vm, kVm, "Ports"});
  ASSERT_TRUE(r.ok()) << r.describe();
  const auto j = json_of(r);
  EXPECT_EQ(j["type"], "a(sqs)") << r.out;
  EXPECT_EQ(j["data"], nlohmann::json::array()) << r.out;
  client_->vm_call(vm, "Kill");
}

TEST_F(Ports, BangerctlPortsPrintsATableOrJson) {
  const std::string vm = running_vm("ports-ctl");
  auto table = ctl({"ports", "ports-ctl"});
  ASSERT_TRUE(table.ok()) << table.describe();
  EXPECT_EQ(table.out, "PROTO  PORT  PROCESS\n");
  auto json = ctl({"ports", "ports-ctl", "--json"});
  ASSERT_TRUE(json.ok()) << json.describe();
  EXPECT_EQ(json_of(json), nlohmann::json::array()) << json.out;
  EXPECT_EQ(ctl({"ports", "no-such-vm"}).exit_code, 3);
  EXPECT_EQ(ctl({"ports"}).exit_code, 2);
  client_->vm_call(vm, "Kill");
}

}  // namespace
}  // namespace banger::test
