// A QEMU launched through a wrapper script (a packager's or an admin's): its
// identity is the command line bangerd gave it, not argv[0]. Split from
// test_qemu_backend.cpp; no guest boots here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vmm/process.h"
#include "vmm/qemu/qemu_backend.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A stand-in for QEMU written as a script, as [vmm] qemu may be: the kernel
// runs its interpreter (python3) with the script and banger's arguments after
// it, and the interpreter itself answers QMP, so the process recorded is the
// one that serves the VM. A shell script that exec'd QEMU would hide the case;
// one that forked it would record another process.
constexpr const char* qmp_answering_script = R"(#!/usr/bin/python3
import json, socket, sys
path = sys.argv[sys.argv.index("-qmp") + 1].removeprefix("unix:").split(",")[0]
server = socket.socket(socket.AF_UNIX)
server.bind(path)
server.listen(4)
while True:
    connection, _ = server.accept()
    with connection, connection.makefile("rw") as stream:
        stream.write(json.dumps({"QMP": {"version": {}, "capabilities": []}}) + "\n")
        stream.flush()
        for line in stream:
            status = json.loads(line).get("execute") == "query-status"
            stream.write(json.dumps({"return": {"status": "prelaunch", "running": False} if status else {}}) + "\n")
            stream.flush()
)";

class QemuScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "the stand-in QEMU needs /usr/bin/python3";
    char scratch[] = "/tmp/banger-qemu-script-XXXXXX";
    ASSERT_NE(mkdtemp(scratch), nullptr);
    scratch_ = scratch;
    fs::create_directories(scratch_ / "run");
    script_ = scratch_ / "qemu-wrapper";
    std::ofstream(script_) << qmp_answering_script;
    fs::permissions(script_, fs::perms::owner_all);
    machine_.vm_id = "qemuscript";
    machine_.vcpus = 1;
    machine_.memory_mib = 64;
    machine_.runtime_dir = scratch_ / "run";
    machine_.kernel = scratch_ / "vmlinuz";
  }
  void TearDown() override {
    for (const auto& process : started_) banger::terminate(process, 0ms);
    std::error_code ignored;
    if (!scratch_.empty()) fs::remove_all(scratch_, ignored);
  }

  banger::ProcessId process_of(const std::string& handles) {
    auto j = nlohmann::json::parse(handles);
    started_.push_back({j["pid"].get<pid_t>(), j["start_time"].get<std::uint64_t>()});
    return started_.back();
  }

  fs::path scratch_;
  fs::path script_;
  banger::MachineConfig machine_;
  std::vector<banger::ProcessId> started_;
};

}  // namespace

TEST_F(QemuScriptTest, AdoptRecognisesAVmmStartedThroughAScript) {
  banger::QemuSettings settings;
  settings.binary = script_;
  settings.accel = "tcg";
  settings.qmp_timeout = 2000ms;
  banger::QemuBackend backend(settings);
  const auto handles = backend.launch(machine_);
  const auto vmm = process_of(handles);
  backend.configure(handles, machine_);  // it answers QMP as QEMU does before start
  const auto argv = banger::process_cmdline(vmm.pid);
  ASSERT_GE(argv.size(), 2u);
  ASSERT_NE(argv[0], script_.string()) << "the interpreter runs in front of the script";
  ASSERT_EQ(argv[1], script_.string());
  EXPECT_TRUE(backend.adopt(handles));

  auto other_vm = nlohmann::json::parse(handles);
  other_vm["runtime_dir"] = (scratch_ / "other-vm").string();  // same pid, but not this VM's command line
  EXPECT_FALSE(backend.adopt(other_vm.dump()));
  // Another process with the recorded pid and start time (a reused pid).
  const auto other = banger::spawn_detached({"/bin/sleep", "30"}, scratch_ / "sleep.log");
  started_.push_back(other);
  auto impostor = nlohmann::json::parse(handles);
  impostor["pid"] = other.pid;
  impostor["start_time"] = other.start_time;
  EXPECT_FALSE(backend.adopt(impostor.dump()));
  auto restarted = nlohmann::json::parse(handles);
  restarted["start_time"] = vmm.start_time + 1;
  EXPECT_FALSE(backend.adopt(restarted.dump()));
}
