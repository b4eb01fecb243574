// Suspend to disk with QEMU (issue 19), QemuBackend alone against a real QEMU
// and the default guest image: a guest logged in on its serial console (a pty
// this test holds, as the console relay would) is paused, saved, its QEMU
// killed, and a new QEMU loads the state: the same shell answers on the same
// console with the same boot, its tmpfs file and background process.
// QEMU runs as nobody, as bangerd's VMs run as their own uid: it reaches none
// of the test's files, so the state is bangerd's descriptor or nothing.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "vmm/process.h"
#include "vmm/qemu/qemu_backend.h"
#include "vmm/qemu/qemu_migration.h"
#include "vmm/qemu/qmp_messages.h"
#include "vmm_privileges.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

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

double seconds_since(Clock::time_point begin) { return std::chrono::duration<double>(Clock::now() - begin).count(); }

constexpr uid_t nobody = 65534;

class QemuSuspendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    image_ = env("BANGER_IMAGE_DIR");
    std::string log = image_.string() + ".log";
    std::string command =
        std::string("'") + env("BANGER_IMAGE_SCRIPT") + "' '" + image_.string() + "' >'" + log + "' 2>&1";
    if (std::system(command.c_str()) != 0) image_error_ = "building the default image failed:\n" + read_file(log);
  }

  void SetUp() override {
    ASSERT_TRUE(image_error_.empty()) << image_error_;
    char scratch[] = "/tmp/banger-qsus-XXXXXX";  // 0700, root's: nobody's QEMU reaches nothing in it
    ASSERT_NE(mkdtemp(scratch), nullptr);
    scratch_ = scratch;
    fs::create_directories(scratch_ / "run");
    state_dir_ = scratch_ / "state";
    fs::create_directory(state_dir_);
    fs::permissions(state_dir_, fs::perms::owner_all);  // as the domain makes it: root's, 0700
    std::string copy =
        "cp --sparse=always '" + (image_ / "rootfs.ext4").string() + "' '" + scratch_.string() + "/rootfs.ext4'";
    ASSERT_EQ(std::system(copy.c_str()), 0);
    // The guest's serial console: a pty whose master stays with the test across
    // both QEMUs, as the console relay's does across a suspend.
    master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(master_, 0);
    ASSERT_EQ(grantpt(master_), 0);
    ASSERT_EQ(unlockpt(master_), 0);
    machine_.vm_id = "qsuspend";
    machine_.vm_name = "qemu-suspend";
    machine_.vcpus = 1;
    machine_.memory_mib = 256;
    machine_.runtime_dir = scratch_ / "run";
    machine_.kernel = image_ / "vmlinuz";
    machine_.initrd = image_ / "initrd.img";
    machine_.kernel_args = {"banger.hostname=qemu-suspend"};
    machine_.drives = {{"rootfs", scratch_ / "rootfs.ext4", true, false}};
    machine_.serial_tty = ptsname(master_);
  }

  void TearDown() override {
    if (!handles_.empty()) banger::terminate(process(), 0ms);
    if (small_disk_) umount2(state_dir_.c_str(), MNT_DETACH);
    if (master_ >= 0) close(master_);
    std::error_code ignored;
    if (!scratch_.empty()) fs::remove_all(scratch_, ignored);
  }

  banger::ProcessId process() const {
    auto j = nlohmann::json::parse(handles_);
    return {j["pid"].get<pid_t>(), j["start_time"].get<std::uint64_t>()};
  }

  // What the console shows until `needle` (or `timeout`), kept in console_ for failure messages.
  std::string read_until(const std::string& needle, std::chrono::seconds timeout) {
    std::string got;
    for (auto end = Clock::now() + timeout; got.find(needle) == std::string::npos && Clock::now() < end;) {
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, 100) != 1) continue;
      char buffer[4096];
      ssize_t n = read(master_, buffer, sizeof buffer);
      if (n <= 0) {
        std::this_thread::sleep_for(50ms);  // EIO while no QEMU holds the slave
        continue;
      }
      // Without the carriage returns: the guest's tty and QEMU's (OPOST) each add one.
      for (ssize_t i = 0; i < n; ++i)
        if (buffer[i] != '\r') got += buffer[i];
    }
    console_ += got;
    return got;
  }

  // Runs `command` in the guest's shell and returns what it printed between two
  // markers; the markers are computed by the shell, so the echo of the typed
  // line never matches. Retries: the first keys may come before the shell reads.
  std::string in_guest(const std::string& command) {
    const std::string begin = "<<" + std::to_string(++commands_), end = std::to_string(commands_) + ">>";
    const std::string line = "echo '<<'" + std::to_string(commands_) + "; " + command + "; echo " +
                             std::to_string(commands_) + "'>>'\n";
    for (int attempt = 0; attempt < 5; ++attempt) {
      EXPECT_EQ(write(master_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
      const auto seen = read_until(end + "\n", 10s);
      const auto from = seen.find(begin + "\n");
      const auto to = seen.rfind(end + "\n");
      if (from != std::string::npos && to != std::string::npos && to > from)
        return seen.substr(from + begin.size() + 1, to - from - begin.size() - 1);
    }
    ADD_FAILURE() << "no answer to " << command << " on the console:\n" << console_;
    return {};
  }

  std::string trimmed(std::string text) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }

  // launch → configure → start, then root logs in on the console.
  void boot_and_log_in() {
    auto begin = Clock::now();
    handles_ = backend_.launch(machine_);
    backend_.configure(handles_, machine_);
    backend_.start(handles_);
    ASSERT_NE(read_until("banger: guest ready", 60s).find("banger: guest ready"), std::string::npos) << console_;
    std::cout << "cold boot: guest ready " << seconds_since(begin) << " s after launch ("
              << backend_.accelerator(machine_.kernel) << ")\n";
    for (int attempt = 0; attempt < 10 && read_until("login:", 3s).find("login:") == std::string::npos; ++attempt)
      ASSERT_EQ(write(master_, "\n", 1), 1);
    ASSERT_EQ(write(master_, "root\n", 5), 5);
    // Keys typed before the shell's prompt are lost: wait for ash's "~ # ".
    ASSERT_NE(read_until("# ", 30s).find("# "), std::string::npos) << console_;
    ASSERT_EQ(trimmed(in_guest("echo $((6*7))")), "42") << console_;
  }

  static banger::QemuSettings settings() {
    banger::QemuSettings settings;
    // As bangerd's: one KVM verdict for this boot (the other QEMU tests' file).
    settings.kvm_verdict_file = fs::path(env("BANGER_IMAGE_DIR")).parent_path() / "kvm-verdict";
    return settings;
  }

  static inline fs::path image_;
  static inline std::string image_error_;
  fs::path scratch_, state_dir_;
  int master_ = -1;
  int commands_ = 0;
  bool small_disk_ = false;  // a tmpfs too small for the state is mounted on state_dir_
  std::string console_;
  banger::MachineConfig machine_;
  banger::QemuBackend backend_{settings(), nullptr, banger::JailOwner{nobody, nobody}};
  std::string handles_;
};

}  // namespace

TEST_F(QemuSuspendTest, AGuestSavedToDiskRunsOnInANewQemu) {
  ASSERT_NO_FATAL_FAILURE(boot_and_log_in());
  banger::test::expect_unprivileged_vmm(process().pid);
  EXPECT_EQ(banger::test::process_uid(process().pid), nobody);
  // What only the same boot can show: its id, a file in tmpfs (/run), a
  // process started from this shell, the time since boot.
  const auto boot_id = trimmed(in_guest("cat /proc/sys/kernel/random/boot_id"));
  ASSERT_EQ(boot_id.size(), 36u) << boot_id;
  const auto proof = trimmed(in_guest("head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \\n' | tee /run/proof"));
  ASSERT_EQ(proof.size(), 24u) << proof;
  const auto sleeper = trimmed(in_guest("sleep 100000 & echo $!"));
  ASSERT_FALSE(sleeper.empty());
  const double uptime_before = std::stod(in_guest("cut -d' ' -f1 /proc/uptime"));

  const auto format = backend_.saved_state_format(machine_);
  backend_.pause(handles_);
  auto begin = Clock::now();
  const auto bytes = backend_.save_state(handles_, state_dir_);
  const double save_seconds = seconds_since(begin);
  const auto file = state_dir_ / banger::qemu_state_file;
  ASSERT_TRUE(fs::is_regular_file(file));
  EXPECT_EQ(fs::file_size(file), bytes);
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  const std::uint64_t memory = std::uint64_t{machine_.memory_mib} << 20;
  std::cout << "save_state: " << save_seconds << " s, " << bytes << " bytes (" << (bytes >> 20) << " MiB) for "
            << machine_.memory_mib << " MiB of guest memory: " << static_cast<double>(bytes) / memory << "×\n";
  EXPECT_LE(bytes, memory / 2) << "zero pages are not stored";
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::paused) << "the VMM stays, paused";

  backend_.kill(handles_);
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::exited);
  handles_.clear();

  EXPECT_EQ(backend_.saved_state_format(machine_), format) << "the same machine, the same answer";
  machine_.restore_from = state_dir_;
  begin = Clock::now();
  handles_ = backend_.launch(machine_);
  const double launch_seconds = seconds_since(begin);
  backend_.configure(handles_, machine_);
  const double loaded_seconds = seconds_since(begin);
  backend_.start(handles_);
  const double running_seconds = seconds_since(begin);
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::running);
  EXPECT_EQ(banger::test::process_uid(process().pid), nobody);
  const auto answer = in_guest("cat /run/proof");
  const double answered_seconds = seconds_since(begin);
  std::cout << "restore: launched " << launch_seconds << " s, state loaded " << loaded_seconds << " s, running "
            << running_seconds << " s, the shell answered " << answered_seconds << " s after launch\n";

  EXPECT_EQ(trimmed(answer), proof) << "the tmpfs file of the saved guest";
  EXPECT_EQ(trimmed(in_guest("cat /proc/sys/kernel/random/boot_id")), boot_id) << "the same boot";
  EXPECT_EQ(trimmed(in_guest("kill -0 " + sleeper + " && echo alive")), "alive") << "its background process";
  const double uptime_after = std::stod(in_guest("cut -d' ' -f1 /proc/uptime"));
  EXPECT_GE(uptime_after, uptime_before) << "its clock went on from where it was";
  EXPECT_LT(uptime_after, uptime_before + 120);
  // Still a whole guest: it writes to its disk and powers off when asked.
  EXPECT_EQ(trimmed(in_guest("echo after > /root/after && sync && cat /root/after")), "after");
  backend_.stop(handles_, 60s);
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::exited);
  read_until("reboot: Power down", 5s);
  EXPECT_NE(console_.find("reboot: Power down"), std::string::npos) << console_;
  handles_.clear();
}

// A state that does not load fails configure() with QEMU's reason (the domain
// then drops the state); a missing one names the file. A running VMM is not saved.
TEST_F(QemuSuspendTest, AStateThatDoesNotLoadFailsConfigure) {
  ASSERT_NO_FATAL_FAILURE(boot_and_log_in());
  // A running guest would change under the save: refused, and nothing left behind.
  try {
    backend_.save_state(handles_, state_dir_);
    ADD_FAILURE() << "a running VMM was saved";
  } catch (const banger::Error& e) {
    EXPECT_EQ(e.kind(), banger::ErrorKind::backend_failed);
    EXPECT_NE(std::string(e.what()).find("could not save the state: the VMM is running, not paused"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::is_empty(state_dir_));
  backend_.pause(handles_);
  const auto bytes = backend_.save_state(handles_, state_dir_);
  backend_.kill(handles_);
  handles_.clear();
  const auto file = state_dir_ / banger::qemu_state_file;
  machine_.restore_from = state_dir_;

  auto expect_load_failure = [&](const std::string& what, const std::string& expected) {
    handles_ = backend_.launch(machine_);
    try {
      backend_.configure(handles_, machine_);
      ADD_FAILURE() << what << ": configure succeeded";
    } catch (const banger::Error& e) {
      EXPECT_EQ(e.kind(), banger::ErrorKind::backend_failed);
      const std::string message = e.what();
      std::cout << what << ": " << message << "\n";
      EXPECT_EQ(message.rfind("qemu: could not load the saved state: ", 0), 0u) << message;
      EXPECT_NE(message.find(expected), std::string::npos) << message;
    }
    EXPECT_FALSE(backend_.fall_back_after_failed_start(handles_)) << "the state, not KVM, is at fault";
    backend_.kill(handles_);
    EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::exited);
    handles_.clear();
  };

  fs::resize_file(file, bytes / 3);
  expect_load_failure("truncated", "load of migration failed");
  {
    std::ofstream garbage(file, std::ios::trunc);
    for (int i = 0; i < 100000; ++i) garbage << "not a state ";
  }
  expect_load_failure("garbage", "Not a migration stream");
  fs::remove(file);
  expect_load_failure("missing", file.string());
}

// A save that fails half way (here: the disk fills up) names QEMU's reason,
// leaves no partial state that could be taken for a whole one, and the VMM
// paused as it was: a second save, with room, succeeds.
TEST_F(QemuSuspendTest, AFailedSaveLeavesNothingBehind) {
  if (mount("tmpfs", state_dir_.c_str(), "tmpfs", 0, "size=8m,mode=0700") != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs to fill up: " << std::strerror(errno);
  small_disk_ = true;
  ASSERT_NO_FATAL_FAILURE(boot_and_log_in());
  backend_.pause(handles_);
  try {
    backend_.save_state(handles_, state_dir_);
    ADD_FAILURE() << "a 90 MiB state was saved into 8 MiB";
  } catch (const banger::Error& e) {
    EXPECT_EQ(e.kind(), banger::ErrorKind::backend_failed);
    const std::string message = e.what();
    std::cout << "disk full: " << message << "\n";
    EXPECT_EQ(message.rfind("qemu: could not save the state: ", 0), 0u) << message;
  }
  EXPECT_TRUE(fs::is_empty(state_dir_)) << "the partial state is removed";
  EXPECT_EQ(backend_.status(handles_), banger::VmmStatus::paused);
  ASSERT_EQ(umount2(state_dir_.c_str(), 0), 0) << std::strerror(errno);
  small_disk_ = false;
  EXPECT_GT(backend_.save_state(handles_, state_dir_), 8u << 20);
}

TEST_F(QemuSuspendTest, TheSavedStateFormatNamesQemuAndTheMachine) {
  const auto format = backend_.saved_state_format(machine_);
  std::cout << "saved_state_format: " << format << "\n";
  EXPECT_EQ(format.rfind("QEMU emulator version ", 0), 0u) << format;
  EXPECT_EQ(format.find('\n'), std::string::npos) << "one line";
  const auto accel = backend_.accelerator(machine_.kernel);
  EXPECT_NE(format.find("-accel " + accel), std::string::npos) << format;
  EXPECT_NE(format.find("-M microvm"), std::string::npos) << format;
  EXPECT_NE(format.find("-m 256M"), std::string::npos) << format;
  EXPECT_EQ(format.find("rootfs.ext4"), std::string::npos) << "no paths: " << format;
  EXPECT_EQ(format.find("incoming"), std::string::npos) << format;

  // Stable: again, from another backend (a restarted bangerd), and whatever is not in the state.
  EXPECT_EQ(backend_.saved_state_format(machine_), format);
  EXPECT_EQ(banger::QemuBackend(settings(), nullptr, banger::JailOwner{nobody, nobody}).saved_state_format(machine_),
            format);
  auto same = machine_;
  same.kernel_args.push_back("quiet");
  same.drives[0].path = scratch_ / "elsewhere.ext4";
  same.runtime_dir = scratch_ / "another-run";
  same.restore_from = state_dir_;
  EXPECT_EQ(backend_.saved_state_format(same), format);

  // What the state's device model depends on changes it.
  auto bigger = machine_;
  bigger.memory_mib = 512;
  EXPECT_NE(backend_.saved_state_format(bigger), format);
  auto more = machine_;
  more.vcpus = 2;
  EXPECT_NE(backend_.saved_state_format(more), format);
  auto disk = machine_;
  disk.drives.push_back({"work", scratch_ / "work.ext4", false, false});
  EXPECT_NE(backend_.saved_state_format(disk), format);
  auto other_accel = settings();
  other_accel.accel = accel == "kvm" ? "tcg" : "kvm";
  EXPECT_NE(banger::QemuBackend(other_accel).saved_state_format(machine_), format);
}

TEST(QemuSuspend, SaveAndLoadNeedAVmm) {
  banger::QemuBackend backend{banger::QemuSettings{}};
  const std::string gone = R"({"pid":1,"start_time":1,"qmp_socket":"/nonexistent","runtime_dir":"/nonexistent",)"
                           R"("binary":"/usr/bin/qemu-system-x86_64","accel":"kvm","restoring":true})";
  EXPECT_THROW(backend.save_state(gone, "/nonexistent"), banger::Error);
  // accel = "auto" and a VMM that died under KVM while loading a state: the state is at fault.
  EXPECT_FALSE(backend.fall_back_after_failed_start(gone));
}

TEST(QemuSuspend, QueryMigrateAnswers) {
  using banger::qmp_migration_of;
  EXPECT_EQ(qmp_migration_of(nlohmann::json::object()).status, "");
  EXPECT_EQ(qmp_migration_of({{"status", "active"}}).status, "active");
  auto failed = qmp_migration_of({{"status", "failed"}, {"error-desc", "Unable to write to file: No space left"}});
  EXPECT_EQ(failed.status, "failed");
  EXPECT_EQ(failed.error, "Unable to write to file: No space left");
  EXPECT_THROW(qmp_migration_of(nlohmann::json::array()), banger::Error);
  EXPECT_THROW(qmp_migration_of({{"status", 3}}), banger::Error);
  EXPECT_EQ(qmp_migration_of({{"status", "failed"}, {"error-desc", 3}}).error, "");
}
