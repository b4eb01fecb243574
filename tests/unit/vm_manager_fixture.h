#pragma once
// The VmManager fixture shared by the lifecycle tests (test_vm_manager.cpp) and
// the recovery and VMM-exit tests (test_vm_manager_recovery.cpp). Not in an
// anonymous namespace: GoogleTest needs one fixture type per test suite.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/vm_manager.h"
#include "mock_capability.h"
#include "mock_vmm_backend.h"
#include "recording_events.h"
#include "recording_watch.h"
#include "store/handles_files.h"
#include "store/sqlite_store.h"

namespace banger {

using namespace std::chrono_literals;
using ::testing::_;
using ::testing::NiceMock;
using ::testing::Return;
using testing::MockCapability;
using testing::MockVmmBackend;

inline std::filesystem::path temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "banger-manager-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

inline constexpr const char* handles_42 = R"({"pid":42,"start_time":420})";

struct VmManagerTest : ::testing::Test {
  SqliteStore store{":memory:"};
  NiceMock<MockVmmBackend> backend;
  VmmBackends backends;
  std::shared_ptr<NiceMock<MockCapability>> cap = std::make_shared<NiceMock<MockCapability>>();
  Capabilities caps{{cap}};
  testing::RecordingEvents events;
  testing::RecordingWatch watch;
  testing::NullProgress progress;
  std::filesystem::path runtime = temp_dir();
  HandlesFiles handles_files{runtime};
  VmManager manager{{store, backends, caps, events, handles_files, &watch}, {200ms, 1500ms, runtime}};

  VmManagerTest() {
    ON_CALL(backend, name()).WillByDefault(Return("mock"));
    ON_CALL(backend, launch(_)).WillByDefault(Return(handles_42));
    ON_CALL(backend, status(_)).WillByDefault(Return(VmmStatus::running));
    backends.add(backend);
  }
  ~VmManagerTest() override { std::filesystem::remove_all(runtime); }

  std::filesystem::path handles_file(const std::string& id) { return runtime / "vms" / id / "handles.json"; }
  // What the VM's runtime handles file holds, "" when there is none.
  std::string handles_on_disk(const std::string& id) {
    std::ifstream in(handles_file(id));
    if (!in) return "";
    auto j = nlohmann::json::parse(in);
    EXPECT_EQ(j.at("backend"), "mock");
    return j.at("handles").dump();
  }

  VmRecord created(const std::string& name = "web") {
    auto vm = manager.begin_create({name, 2, 256, "default", {}}, 1000);
    return manager.finish_create(vm.id, progress);
  }
  VmRecord running(const std::string& name = "web") { return manager.start(created(name).id); }
  VmState state_of(const std::string& id) { return store.find_vm(id).value().state; }
};

}  // namespace banger
