// QemuBackend against a real QEMU and the default guest image (adoption of a
// VMM started through a script: test_qemu_script_vmm.cpp).
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
#include "vmm/qemu/kvm_verdict.h"
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
              << " s after launch (" << backend_.accelerator(machine_.kernel) << ")\n";
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
  // As bangerd's: one KVM verdict for this boot, found by the first test that boots.
  static banger::QemuSettings suite_settings() {
    banger::QemuSettings settings;
    settings.kvm_verdict_file = fs::path(env("BANGER_IMAGE_DIR")).parent_path() / "kvm-verdict";
    return settings;
  }
  banger::QemuBackend backend_{suite_settings()};
  std::string handles_;
};

}  // namespace

banger::QemuSettings with_accel(const std::string& accel) {
  banger::QemuSettings settings;
  settings.accel = accel;
  return settings;
}

TEST(QemuAccel, FixedAcceleratorsNeedNoProbe) {
  EXPECT_EQ(banger::QemuBackend(with_accel("tcg")).accelerator("/nonexistent"), "tcg");
  EXPECT_EQ(banger::QemuBackend(with_accel("kvm")).accelerator("/nonexistent"), "kvm");
  EXPECT_THROW(banger::QemuBackend(with_accel("xen")), banger::Error);
}

// Issue 16: accel = "auto" trusts KVM only once QEMU booted a real kernel under
// it. Stand-ins for QEMU play each kind of host: a wrapper decides what
// "-accel kvm" does (aborts as QEMU does under broken nested virtualization,
// hangs as a Linux guest does there, or runs — on TCG, so that this test runs
// on every host), and the test chooses the ioctl probe's answer.
class KvmVerdictTest : public QemuBackendTest {
 protected:
  fs::path stand_in(const std::string& name, const std::string& on_kvm) {
    const fs::path path = scratch_ / name;
    std::ofstream(path) << "#!/bin/bash\n"
                        // Whether it takes -sandbox (vmm/qemu/qemu_sandbox.h) is asked, not a boot: not counted.
                        << "if [[ \" $* \" == *\" -version \"* ]]; then exec /usr/bin/qemu-system-x86_64 \"$@\"; fi\n"
                        << "echo \"$*\" >>'" << (scratch_ / (name + ".calls")).string() << "'\n"
                        << "if [[ \" $* \" == *\" kvm \"* ]]; then\n" << on_kvm << "\nfi\n"
                        << "exec /usr/bin/qemu-system-x86_64 \"$@\"\n";
    fs::permissions(path, fs::perms::owner_all);
    return path;
  }
  int calls(const std::string& name) {
    std::ifstream in(scratch_ / (name + ".calls"));
    std::string line;
    int n = 0;
    while (std::getline(in, line)) ++n;
    return n;
  }
  banger::KvmVerdict decide(const fs::path& qemu, bool vcpu_ran, std::chrono::milliseconds timeout) {
    return banger::decide_kvm({vcpu_ran, vcpu_ran ? "a probe vCPU ran" : "no /dev/kvm"}, qemu, machine_.kernel,
                              scratch_, timeout);
  }

  const std::string aborts = "echo 'qemu: kvm_buf_set_msrs: Assertion failed.' >&2; kill -ABRT $$";
  const std::string hangs = "exec sleep 60";
  // Working KVM, played by TCG: the same kernel, the same panic, only slower.
  const std::string runs =
      "args=(); for a in \"$@\"; do case $a in kvm) a=tcg;; host) a=max;; esac; args+=(\"$a\"); done\n"
      "exec /usr/bin/qemu-system-x86_64 \"${args[@]}\"";
};

// Issue 17, finding 3: the boot probe's QEMU runs as the VMs' QEMU does,
// unprivileged (as nobody, with /dev/kvm's group), not as root. A stand-in
// QEMU reports whom it runs as on its last line, which the verdict quotes.
TEST(KvmProbeUser, TheProbeRunsUnprivilegedWhenTheVmsDo) {
  const fs::path dir = fs::temp_directory_path() / ("banger-probe-user-" + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  const fs::path qemu = dir / "qemu";
  std::ofstream(qemu) << "#!/bin/sh\n"
                      << "grep -E '^(Uid|Gid|CapEff|CapPrm|NoNewPrivs):' /proc/self/status | tr '\\t\\n' '  '\n"
                      << "echo; exit 3\n";
  fs::permissions(qemu, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  std::ofstream(dir / "kernel") << "not a kernel";
  fs::permissions(dir / "kernel", fs::perms::owner_read | fs::perms::owner_write);  // as images are: 0600

  banger::QemuSettings settings;
  settings.binary = qemu;
  const banger::QemuBackend backend(settings, std::make_shared<banger::JailerIds>(dir / "uids", 900000, 4));
  const auto user = backend.probe_user();
  ASSERT_TRUE(user.has_value()) << "the VMs' QEMU runs unprivileged, so does the probe";
  EXPECT_EQ(user->uid, 65534u);
  const auto verdict = banger::boot_probe_kvm(qemu, dir / "kernel", dir, 10s, &*user);
  EXPECT_FALSE(verdict.usable);
  EXPECT_NE(verdict.reason.find("Uid: 65534 65534 65534 65534"), std::string::npos) << verdict.reason;
  EXPECT_NE(verdict.reason.find("CapEff: 0000000000000000"), std::string::npos) << verdict.reason;
  EXPECT_NE(verdict.reason.find("CapPrm: 0000000000000000"), std::string::npos) << verdict.reason;
  EXPECT_NE(verdict.reason.find("NoNewPrivs: 1"), std::string::npos) << verdict.reason;
  EXPECT_FALSE(fs::exists(dir / ("kvm-probe-" + std::to_string(getpid())))) << "the probe's own directory is removed";
  EXPECT_FALSE(banger::QemuBackend(settings).probe_user().has_value()) << "no uids configured: root, as the VMs";
  fs::remove_all(dir);
}

TEST_F(KvmVerdictTest, AGuestThatBootsMakesKvmTrusted) {
  auto verdict = decide(stand_in("runs", runs), true, 60s);
  EXPECT_TRUE(verdict.usable) << verdict.reason;
  EXPECT_NE(verdict.reason.find("booted"), std::string::npos) << verdict.reason;
  EXPECT_EQ(calls("runs"), 1);
}

TEST_F(KvmVerdictTest, QemuAbortingUnderKvmMeansTcg) {
  auto verdict = decide(stand_in("aborts", aborts), true, 10s);
  EXPECT_FALSE(verdict.usable);
  EXPECT_NE(verdict.reason.find("kvm_buf_set_msrs"), std::string::npos) << verdict.reason;
}

TEST_F(KvmVerdictTest, AGuestThatHangsUnderKvmMeansTcg) {
  auto begin = std::chrono::steady_clock::now();
  auto verdict = decide(stand_in("hangs", hangs), true, 2s);
  EXPECT_FALSE(verdict.usable);
  EXPECT_NE(verdict.reason.find("no answer within 2000 ms"), std::string::npos) << verdict.reason;
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 10s) << "the probe is bounded by its timeout";
  EXPECT_TRUE(fs::is_empty(scratch_ / "run")) << "the probe leaves nothing behind";
}

TEST_F(KvmVerdictTest, NoVcpuMeansTcgWithoutBootingAnything) {
  auto verdict = decide(stand_in("runs", runs), false, 60s);
  EXPECT_FALSE(verdict.usable);
  EXPECT_EQ(verdict.reason, "no /dev/kvm");
  EXPECT_EQ(calls("runs"), 0);
}

TEST_F(KvmVerdictTest, TheVerdictHoldsForThisBootAndThisQemuBinary) {
  const auto qemu = stand_in("runs", runs);
  const auto file = scratch_ / "kvm-verdict";
  const auto key = banger::kvm_verdict_key(qemu);
  EXPECT_FALSE(banger::read_kvm_verdict(file, key));
  banger::write_kvm_verdict(file, key, {false, "hung"});
  auto read = banger::read_kvm_verdict(file, key);
  ASSERT_TRUE(read);
  EXPECT_FALSE(read->usable);
  EXPECT_EQ(read->reason, "hung");
  // Another boot of the host, or another QEMU binary (an upgrade): no verdict.
  std::ofstream(scratch_ / "boot_id") << "another-boot\n";
  EXPECT_FALSE(banger::read_kvm_verdict(file, banger::kvm_verdict_key(qemu, scratch_ / "boot_id")));
  std::ofstream(qemu, std::ios::app) << "# upgraded\n";
  EXPECT_NE(banger::kvm_verdict_key(qemu), key);
  EXPECT_FALSE(banger::read_kvm_verdict(file, banger::kvm_verdict_key(qemu)));
  std::ofstream(file) << "{not json";
  EXPECT_FALSE(banger::read_kvm_verdict(file, key));
}

// The backend: the verdict is found once, recorded, and read by the next
// bangerd of this boot instead of probing again; a guest then boots on TCG.
TEST_F(KvmVerdictTest, TheBackendBootsOnTcgWhereKvmGuestsHang) {
  banger::QemuSettings settings;
  settings.binary = stand_in("hangs", hangs);
  settings.kvm_verdict_file = scratch_ / "kvm-verdict";
  settings.kvm_probe_timeout = 2s;
  {
    banger::QemuBackend backend{settings};
    EXPECT_EQ(backend.accelerator(machine_.kernel), "tcg");
    EXPECT_EQ(backend.accelerator(machine_.kernel), "tcg");
    handles_ = backend.launch(machine_);
    EXPECT_EQ(nlohmann::json::parse(handles_).at("accel"), "tcg");
    backend.configure(handles_, machine_);
    backend.start(handles_);
    ASSERT_TRUE(wait_for_console("banger: guest ready", 60s)) << read_file(console());
    backend.kill(handles_);
    handles_.clear();
  }
  const int probes = calls("hangs") - 1;  // the launch above is one call too
  EXPECT_LE(probes, 1) << "one probe per backend at most";
  EXPECT_EQ(probes == 1, banger::probe_kvm().usable) << "the boot probe runs only where a vCPU runs";
  banger::QemuBackend restarted{settings};
  EXPECT_EQ(restarted.accelerator(machine_.kernel), "tcg");
  EXPECT_EQ(calls("hangs"), probes + 1) << "the recorded verdict is read, not probed again";
}

// A VMM that died under KVM after the probe had passed: the next launch uses TCG.
TEST_F(KvmVerdictTest, AVmmThatDiedUnderKvmTurnsTheVerdict) {
  banger::QemuSettings settings;
  settings.binary = stand_in("runs", runs);
  settings.kvm_verdict_file = scratch_ / "kvm-verdict";
  banger::QemuBackend backend{settings};
  const auto kernel = machine_.kernel;
  const std::string died_under_kvm = R"({"pid":1,"start_time":1,"qmp_socket":"/x","runtime_dir":"/x","binary":"/x","accel":"kvm"})";
  const std::string died_under_tcg = R"({"pid":1,"start_time":1,"qmp_socket":"/x","runtime_dir":"/x","binary":"/x","accel":"tcg"})";
  EXPECT_FALSE(backend.fall_back_after_failed_start(died_under_tcg)) << "nothing to fall back to";
  EXPECT_TRUE(backend.fall_back_after_failed_start(died_under_kvm));
  EXPECT_EQ(backend.accelerator(kernel), "tcg");
  EXPECT_FALSE(backend.kvm_verdict(kernel).usable);
  EXPECT_EQ(calls("runs"), 0) << "a verdict from a real VM needs no probe";
  auto recorded = banger::read_kvm_verdict(settings.kvm_verdict_file, banger::kvm_verdict_key(settings.binary));
  ASSERT_TRUE(recorded) << "the next bangerd of this boot knows it too";
  EXPECT_FALSE(recorded->usable);
  settings.accel = "kvm";
  EXPECT_FALSE(banger::QemuBackend(settings).fall_back_after_failed_start(died_under_kvm))
      << "accel = \"kvm\" was asked for explicitly";
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
