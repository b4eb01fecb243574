#pragma once
// Small helpers shared by the bus test files: names of the contract, busctl
// and bus-probe output parsing, and fixtures with a client and a recorder.
#include <sys/types.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "banger/bus_errors.h"
#include "banger/bus_names.h"
#include "bus_client.h"
#include "bus_environment.h"

namespace banger::test {

inline const std::string kService = banger::bus::service_name;
inline const std::string kRoot = banger::bus::root_path;
inline const std::string kManager = banger::bus::manager_interface;
inline const std::string kVm = banger::bus::vm_interface;
inline const std::string kOperation = banger::bus::operation_interface;
inline const std::string kObjectManager = "org.freedesktop.DBus.ObjectManager";

// A challenge from polkit (auth_admin_keep) when the caller did not allow
// interaction must be answered with InteractiveAuthorizationRequired, the
// D-Bus spec's error for exactly that case. With interaction allowed there is
// still no agent in the tests, so bangerd may answer either error.
inline const std::string kDeniedWithoutInteraction = banger::bus::error::interactive_authorization_required;

inline nlohmann::json json_of(const RunResult& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (const nlohmann::json::exception& e) {
    ADD_FAILURE() << "not JSON (" << e.what() << "):\n" << r.describe();
    return nullptr;
  }
}

// busctl --json=short call/get-property prints {"type":…,"data":…}.
inline nlohmann::json busctl_data(const RunResult& r) {
  auto j = json_of(r);
  if (!j.is_object() || !j.contains("data")) {
    ADD_FAILURE() << "unexpected busctl output:\n" << r.describe();
    return nullptr;
  }
  return j["data"];
}

struct ProbeResult {
  bool ok = false;
  std::string error_name;
  std::string error_message;
  std::vector<std::string> values;
};

inline ProbeResult parse_probe(const RunResult& r) {
  ProbeResult p;
  std::vector<std::string> lines;
  std::string line;
  for (char c : r.out) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line.push_back(c);
    }
  }
  if (r.exit_code == 0 && !lines.empty() && lines[0] == "ok") {
    p.ok = true;
    p.values.assign(lines.begin() + 1, lines.end());
  } else if (r.exit_code == 1 && !lines.empty() && lines[0].rfind("error ", 0) == 0) {
    p.error_name = lines[0].substr(6);
    if (lines.size() > 1) p.error_message = lines[1];
  } else {
    ADD_FAILURE() << "bus-probe failed:\n" << r.describe();
  }
  return p;
}

// busctl arguments of a CreateVM call with no options.
inline std::vector<std::string> create_args(const std::string& name) {
  return {"--json=short", "call", kService, kRoot, kManager, "CreateVM", "sa{sv}", name, "0"};
}

// A BusTest with a root client and a signal recorder per test.
class ClientTest : public BusTest {
 protected:
  void SetUp() override {
    BusTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    recorder_ = std::make_unique<SignalRecorder>(env().address());
    client_ = std::make_unique<BusClient>(env().address());
  }
  void TearDown() override {
    if (HasFailure() && recorder_) std::cerr << "signals seen:\n" << recorder_->dump();
    client_.reset();
    recorder_.reset();
  }

  // A new VM of the stand-in backend, started and running.
  std::string running_vm(const std::string& name) {
    const std::string vm = client_->create_ready(*recorder_, name);
    client_->vm_call(vm, "Start");
    EXPECT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "State");
    return vm;
  }

  // `call` (method, signature, arguments) on `path`'s `interface` through bus-probe as `user`
  // (root when empty), never asking for a password.
  ProbeResult as(const std::string& user, const std::string& path, const std::string& interface,
                 std::vector<std::string> call) {
    call.insert(call.begin(), {"--no-interactive", path, interface});
    return parse_probe(env().probe_as(user, call));
  }

  // Whether the object manager announces `object` within `timeout` (an Operation's result, say).
  bool wait_added(const std::string& object, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    return recorder_
        ->wait_for([&](const Signal& s) { return s.member == "InterfacesAdded" && s.object == object; }, timeout)
        .has_value();
  }

  // The VMM's pid as the VM's runtime handles file records it; 0 when there is none.
  // Never hand that 0 to kill(): it would signal the whole process group, the test runner too.
  pid_t vmm_pid(const std::string& vm) {
    std::ifstream in(env().dir() / "run" / "vms" / client_->vm_string(vm, "Id") / "handles.json");
    if (!in) return 0;
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_object() || !j.contains("handles")) return 0;
    return j["handles"].value("pid", 0);
  }

  std::unique_ptr<SignalRecorder> recorder_;
  std::unique_ptr<BusClient> client_;
};

}  // namespace banger::test
