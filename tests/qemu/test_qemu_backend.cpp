// QemuBackend against a real QEMU and the default guest image, and (adoption
// of a VMM started through a script) against a stand-in QEMU.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "vmm/process.h"
#include "vmm/qemu/kvm_probe.h"
#include "vmm/qemu/qemu_backend.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class QemuBackendTest : public ::testing::Test {
 protected:
  // Building the image once for all tests; a failure is kept and every boot
  // test fails with it (a missing package must not skip silently).
  static void SetUpTestSuite() {
    image_ = env("BANGER_IMAGE_DIR");
    std::string log = image_.string() + ".log";
    std::string command = std::string("'") + env("BANGER_IMAGE_SCRIPT") + "' '" + image_.string() + "' >'" + log + "' 2>&1";
    auto begin = std::chrono::steady_clock::now();
    if (std::system(command.c_str()) != 0) image_error_ = "building the default image failed:\n" + read_file(log);
    std::cerr << "default image ready in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count() << " s\n";
  }

  void SetUp() override {
    ASSERT_TRUE(image_error_.empty()) << image_error_;
    char scratch[] = "/tmp/banger-qemu-XXXXXX";  // short: a Unix socket path is at most 107 bytes
    ASSERT_NE(mkdtemp(scratch), nullptr);
    scratch_ = scratch;
    fs::create_directories(scratch_ / "run");
    // The guest writes to its root drive: give each boot its own sparse copy.
    std::string copy = "cp --sparse=always '" + (image_ / "rootfs.ext4").string() + "' '" + scratch_.string() + "/rootfs.ext4'";
    ASSERT_EQ(std::system(copy.c_str()), 0);
    machine_.vm_id = "qemutest";
    machine_.vm_name = "qemu-test";
    machine_.vcpus = 1;
    machine_.memory_mib = 256;
    machine_.runtime_dir = scratch_ / "run";
    machine_.kernel = image_ / "vmlinuz";
    machine_.initrd = image_ / "initrd.img";
    machine_.kernel_args = {"banger.hostname=qemu-test"};
    machine_.drives = {{"rootfs", scratch_ / "rootfs.ext4", true, false}};
  }

  void TearDown() override {
    if (!handles_.empty()) {
      auto j = nlohmann::json::parse(handles_);
      banger::terminate({j["pid"].get<pid_t>(), j["start_time"].get<std::uint64_t>()}, 0ms);
    }
    std::error_code ignored;
    if (!scratch_.empty()) fs::remove_all(scratch_, ignored);
  }

  fs::path console() const { return machine_.runtime_dir / "console.log"; }

  bool wait_for_console(const std::string& marker, std::chrono::seconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (read_file(console()).find(marker) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // launch → configure → start, then the guest's init reports on the console.
  void boot() {
    auto begin = std::chrono::steady_clock::now();
    handles_ = backend_.launch(machine_);
    backend_.configure(handles_, machine_);
    backend_.start(handles_);
    ASSERT_TRUE(wait_for_console("banger: guest ready", 60s)) << read_file(console());
    std::cerr << "guest ready " << std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count()
              << " s after launch (" << backend_.accelerator() << ")\n";
  }

  banger::ProcessId process() const {
    auto j = nlohmann::json::parse(handles_);
    return {j["pid"].get<pid_t>(), j["start_time"].get<std::uint64_t>()};
  }

  // Nothing of the VMM may remain: no process, no socket, only the logs.
  void expect_cleaned_up() {
    EXPECT_FALSE(banger::is_running(process()));
    EXPECT_FALSE(backend_.adopt(handles_));
    for (const auto& entry : fs::directory_iterator(machine_.runtime_dir)) {
      auto name = entry.path().filename().string();
      EXPECT_TRUE(name == "console.log" || name == "vmm.log") << "left behind: " << name;
    }
    handles_.clear();
  }

  static inline fs::path image_;
  static inline std::string image_error_;
  fs::path scratch_;
  banger::MachineConfig machine_;
  banger::QemuBackend backend_{banger::QemuSettings{}};
  std::string handles_;
};

}  // namespace

TEST(QemuAccel, AutoFollowsTheKvmProbe) {
  auto probe = banger::probe_kvm();
  std::cerr << "KVM probe: " << (probe.usable ? "usable" : "not usable") << " (" << probe.reason << ")\n";
  banger::QemuBackend backend{banger::QemuSettings{}};
  EXPECT_EQ(backend.accelerator(), probe.usable ? "kvm" : "tcg");
  // Without /dev/kvm (or with one whose guests fail, as on nested CI hosts)
  // the decision must be TCG.
  if (!fs::exists("/dev/kvm")) {
    EXPECT_EQ(backend.accelerator(), "tcg");
  }
  EXPECT_EQ(banger::QemuBackend(banger::QemuSettings{"/usr/bin/qemu-system-x86_64", "tcg"}).accelerator(), "tcg");
  EXPECT_THROW(banger::QemuBackend(banger::QemuSettings{"/usr/bin/qemu-system-x86_64", "xen"}), banger::Error);
}

TEST_F(QemuBackendTest, BootPauseResumeAndGracefulStop) {
  ASSERT_NO_FATAL_FAILURE(boot());
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::running);
  EXPECT_TRUE(backend_.adopt(handles_));
  backend_.pause(handles_);
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::paused);
  backend_.resume(handles_);
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::running);

  // The guest must power off by itself: well before the timeout, and its
  // init and kernel say so on the console (the kill fallback would not).
  const auto timeout = 60s;
  auto begin = std::chrono::steady_clock::now();
  backend_.stop(handles_, timeout);
  auto took = std::chrono::steady_clock::now() - begin;
  std::cerr << "graceful stop took " << std::chrono::duration<double>(took).count() << " s\n";
  EXPECT_LT(took, timeout / 2);
  auto text = read_file(console());
  EXPECT_NE(text.find("banger: guest shutting down"), std::string::npos) << text;
  EXPECT_NE(text.find("reboot: Power down"), std::string::npos) << text;
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::exited);
  expect_cleaned_up();
}

TEST_F(QemuBackendTest, KillEndsARunningGuest) {
  ASSERT_NO_FATAL_FAILURE(boot());
  EXPECT_TRUE(backend_.adopt(handles_));
  backend_.kill(handles_);
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::exited);
  EXPECT_EQ(read_file(console()).find("banger: guest shutting down"), std::string::npos);
  expect_cleaned_up();
}

TEST_F(QemuBackendTest, StopBeforeStartQuitsTheVmm) {
  handles_ = backend_.launch(machine_);
  backend_.configure(handles_, machine_);
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::paused);  // prelaunch
  backend_.stop(handles_, 30s);
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::exited);
  expect_cleaned_up();
}

TEST_F(QemuBackendTest, AFailedLaunchReportsQemusMessage) {
  machine_.kernel = scratch_ / "no-such-kernel";
  handles_ = backend_.launch(machine_);
  try {
    backend_.configure(handles_, machine_);
    FAIL() << "configure succeeded without a kernel";
  } catch (const banger::Error& e) {
    EXPECT_EQ(e.kind(), banger::ErrorKind::backend_failed);
    EXPECT_NE(std::string(e.what()).find("no-such-kernel"), std::string::npos) << e.what();
  }
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::exited);
  expect_cleaned_up();
}

TEST_F(QemuBackendTest, AdoptRejectsForeignHandles) {
  EXPECT_FALSE(backend_.adopt(R"({"pid":1,"start_time":1,"qmp_socket":"/nonexistent","runtime_dir":"/tmp",)"
                              R"("binary":"/usr/bin/qemu-system-x86_64"})"));
  EXPECT_THROW(backend_.adopt("not json"), banger::Error);
}

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
  banger::QemuBackend backend(banger::QemuSettings{script_, "tcg", 2000ms});
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
