#pragma once
// The VmManager fixture shared by the lifecycle tests (test_vm_manager.cpp) and
// the recovery and VMM-exit tests (test_vm_manager_recovery.cpp). Not in an
// anonymous namespace: GoogleTest needs one fixture type per test suite.
//
// Its constructor, destructor and helpers are in vm_manager_fixture.cpp, compiled
// once (issue 18, build time): inline here, every test file that included it
// compiled the mocks' gmock machinery, the NiceMock vtables and the JSON parser
// again, ~10 of the ~15-24 CPU s each of these files took.
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
  testing::RecordingSnapshotEvents snapshot_events;
  VmManager manager{{store, backends, caps, events, handles_files, &watch, nullptr, nullptr, nullptr, &store, &snapshot_events},
                    {200ms, 1500ms, runtime}};

  VmManagerTest();
  ~VmManagerTest() override;

  std::filesystem::path handles_file(const std::string& id) { return runtime / "vms" / id / "handles.json"; }
  // What the VM's runtime handles file holds, "" when there is none.
  std::string handles_on_disk(const std::string& id);

  VmRecord created(const std::string& name = "web");
  VmRecord running(const std::string& name = "web");
  VmState state_of(const std::string& id);
};

}  // namespace banger
