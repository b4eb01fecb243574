// The host checks of Manager.Doctor (service/doctor), each driven to both
// outcomes where a test can make them: injected paths, scripts standing in for
// binaries, a private dbus-daemon with and without a polkit stand-in.
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <systemd/sd-bus.h>

#include "core/errors.h"
#include "doctor/bridge_check.h"
#include "doctor/disk_space_check.h"
#include "doctor/group_check.h"
#include "doctor/host_checks.h"
#include "doctor/kvm_check.h"
#include "doctor/nftables_check.h"
#include "doctor/polkit_check.h"
#include "doctor/vmm_binaries.h"
#include "net/links.h"
#include "vmm/qemu/kvm_probe.h"

namespace banger {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class DoctorChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("banger-doctor-{}-{}", getpid(), counter_++);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path script(const std::string& name, const std::string& body) {
    const auto path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(path, fs::perms::owner_all);
    return path;
  }

  fs::path dir_;
  static inline int counter_ = 0;
};

TEST_F(DoctorChecks, KvmWarnsWithoutADevice) {
  const auto missing = (dir_ / "kvm").string();
  auto warn = doctor::kvm_check(missing.c_str(), std::nullopt);
  EXPECT_EQ(warn.check, "kvm");
  EXPECT_EQ(warn.status, "warn");
  EXPECT_NE(warn.detail.find(missing), std::string::npos) << warn.detail;
  EXPECT_FALSE(warn.fix.empty());
}

TEST_F(DoctorChecks, KvmWarnsOnADeviceThatIsNotKvm) {
  // Opening is not enough: the probe needs a vCPU to run.
  auto check = doctor::kvm_check("/dev/null", std::nullopt);
  EXPECT_EQ(check.status, "warn") << check.detail;
  EXPECT_NE(check.detail.find("/dev/null"), std::string::npos) << check.detail;
}

TEST_F(DoctorChecks, KvmOkWhereAProbeVcpuRuns) {
  if (!probe_kvm().usable) GTEST_SKIP() << "KVM cannot run guests on this host: " << probe_kvm().reason;
  EXPECT_EQ(doctor::kvm_check("/dev/kvm", std::nullopt).status, "ok");
}

// Issue 16: on hosts with broken nested virtualization the vCPU runs, yet QEMU's
// guests abort or hang; the boot probe's verdict must reach Doctor.
TEST_F(DoctorChecks, KvmWarnsWhenTheProbeGuestDidNotBoot) {
  const KvmProbeResult vcpu_ran{true, "a probe vCPU ran"};
  auto check = doctor::kvm_check_from("/dev/kvm", vcpu_ran, KvmVerdict{false, "QEMU ended with status 134: assertion"});
  EXPECT_EQ(check.status, "warn");
  EXPECT_NE(check.summary.find("TCG"), std::string::npos) << check.summary;
  EXPECT_NE(check.detail.find("status 134"), std::string::npos) << check.detail;
  EXPECT_FALSE(check.fix.empty());

  auto booted = doctor::kvm_check_from("/dev/kvm", vcpu_ran, KvmVerdict{true, "a probe guest booted"});
  EXPECT_EQ(booted.status, "ok");
  EXPECT_NE(booted.summary.find("guest booted"), std::string::npos) << booted.summary;

  auto unconfirmed = doctor::kvm_check_from("/dev/kvm", vcpu_ran, std::nullopt);
  EXPECT_EQ(unconfirmed.status, "ok");
  EXPECT_NE(unconfirmed.summary.find("confirm"), std::string::npos) << unconfirmed.summary;

  // No vCPU: the verdict does not matter.
  auto absent = doctor::kvm_check_from("/dev/kvm", KvmProbeResult{false, "no such device"}, KvmVerdict{true, "x"});
  EXPECT_EQ(absent.status, "warn");
}

TEST_F(DoctorChecks, VersionOfAWorkingBinary) {
  auto check = doctor::version_check("firecracker", script("firecracker", "echo 'Firecracker v1.7.0'; echo more"), "warn");
  EXPECT_EQ(check.check, "firecracker-version");
  EXPECT_EQ(check.status, "ok");
  EXPECT_EQ(check.summary, "Firecracker v1.7.0");
}

TEST_F(DoctorChecks, VersionOfAMissingBinaryTakesTheGivenStatus) {
  EXPECT_EQ(doctor::version_check("qemu", dir_ / "none", "warn").status, "warn");
  auto fail = doctor::version_check("qemu", dir_ / "none", "fail");
  EXPECT_EQ(fail.status, "fail");
  EXPECT_NE(fail.detail.find("none"), std::string::npos) << fail.detail;
}

TEST_F(DoctorChecks, VersionFailsForABrokenBinary) {
  auto check = doctor::version_check("qemu", script("qemu", "echo 'cannot load libfoo.so' >&2; exit 1"), "warn");
  EXPECT_EQ(check.status, "fail");
  EXPECT_NE(check.detail.find("libfoo"), std::string::npos) << check.detail;
}

TEST_F(DoctorChecks, VersionGivesUpOnAHangingBinary) {
  const auto began = std::chrono::steady_clock::now();
  auto check = doctor::version_check("qemu", script("qemu", "exec sleep 30"), "warn");
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
  EXPECT_EQ(check.status, "fail");
  EXPECT_NE(check.detail.find("no answer"), std::string::npos) << check.detail;
}

// Doctor needs no authorization: a loop of calls must not mean a loop of forks.
TEST_F(DoctorChecks, VersionIsAskedOncePerBinaryUntilTheBinaryChanges) {
  const auto runs = dir_ / "runs";
  const auto qemu = script("qemu", fmt::format("echo run >> {}; echo 'QEMU emulator version 7.2.0'", runs.string()));
  auto count = [&] {
    std::ifstream in(runs);
    return std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(doctor::version_check("qemu", qemu, "warn").status, "ok");
  EXPECT_EQ(count(), 1) << "asked --version more than once of the same binary";
  std::this_thread::sleep_for(10ms);  // a new mtime, as an upgrade makes
  script("qemu", "echo 'QEMU emulator version 8.0.0'");
  EXPECT_EQ(doctor::version_check("qemu", qemu, "warn").summary, "QEMU emulator version 8.0.0");
}

TEST_F(DoctorChecks, JailerIsOptionalButMustWorkWhenConfigured) {
  EXPECT_EQ(doctor::jailer_check("").status, "ok");
  EXPECT_EQ(doctor::jailer_check(dir_ / "jailer").status, "fail");
  EXPECT_EQ(doctor::jailer_check(script("jailer", "echo 'Jailer v1.7.0'")).status, "ok");
}

// The kernel's scratch bridge as the check sees it: where it was made, or the kernel's refusal.
struct ScratchBridge {
  std::string refusal;  // empty: the kernel makes it
  int calls = 0;
  std::function<std::string()> maker() {
    return [this]() -> std::string {
      ++calls;
      if (!refusal.empty()) throw Error(ErrorKind::backend_failed, refusal);
      return "made and deleted bridge bgprobe0 in a scratch network namespace";
    };
  }
};

TEST_F(DoctorChecks, AnExistingBridgeSettlesItWithoutAScratchBridge) {
  fs::create_directories(dir_ / "net" / "eth0");
  fs::create_directories(dir_ / "net" / "bg-default" / "bridge");
  ScratchBridge scratch{.refusal = "must not be asked"};
  auto check = doctor::bridge_check(dir_ / "net", scratch.maker());
  EXPECT_EQ(check.status, "ok") << check.detail;
  EXPECT_EQ(check.summary, "the kernel has Linux bridges");
  EXPECT_NE(check.detail.find("bg-default"), std::string::npos) << check.detail;
  EXPECT_EQ(scratch.calls, 0);
}

TEST_F(DoctorChecks, WithoutABridgeTheKernelIsAskedForAScratchOne) {
  fs::create_directories(dir_ / "net" / "eth0");  // a link, but no bridge
  ScratchBridge scratch;
  auto check = doctor::bridge_check(dir_ / "net", scratch.maker());
  EXPECT_EQ(check.status, "ok") << check.detail;
  EXPECT_EQ(check.summary, "the kernel makes Linux bridges");
  EXPECT_NE(check.detail.find("scratch"), std::string::npos) << check.detail;
  EXPECT_EQ(scratch.calls, 1);
}

TEST_F(DoctorChecks, TheKernelsRefusalOfABridgeFailsWithItsReason) {
  ScratchBridge scratch{.refusal = "netlink: creating bridge bgprobe0: Operation not supported"};
  auto check = doctor::bridge_check(dir_ / "no-sysfs", scratch.maker());
  EXPECT_EQ(check.status, "fail");
  EXPECT_NE(check.detail.find("Operation not supported"), std::string::npos) << check.detail;
  EXPECT_FALSE(check.fix.empty());
  EXPECT_EQ(scratch.calls, 1);
}

std::vector<std::string> bridges_named_bgprobe() {
  std::vector<std::string> names;
  for (const auto& link : net::list_links())
    if (link.name.rfind("bgprobe", 0) == 0) names.push_back(link.name);
  return names;
}

TEST_F(DoctorChecks, TheKernelReallyMakesAScratchBridgeAndNothingStays) {
  if (geteuid() != 0) GTEST_SKIP() << "making a bridge needs CAP_NET_ADMIN: root";
  const auto before = bridges_named_bgprobe();
  std::string where;
  ASSERT_NO_THROW(where = doctor::make_scratch_bridge());
  EXPECT_NE(where.find("bgprobe"), std::string::npos) << where;
  EXPECT_EQ(bridges_named_bgprobe(), before) << "the scratch bridge was left behind";
}

// The fallback where no namespace may be made, run in a namespace of the
// test's own so that the host's links are never touched.
TEST_F(DoctorChecks, AScratchBridgeInTheCallersNamespaceIsDeletedAtOnce) {
  if (geteuid() != 0) GTEST_SKIP() << "making a bridge needs CAP_NET_ADMIN: root";
  std::string failure;
  std::vector<std::string> left;
  std::thread([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      failure = std::string("unshare: ") + strerror(errno);
      return;
    }
    try {
      doctor::make_and_delete_bridge("bgprobe-test");
      left = bridges_named_bgprobe();
      net::add_bridge("bgprobe-taken");
      doctor::make_and_delete_bridge("bgprobe-taken");
      failure = "an existing link was taken for the scratch bridge";
    } catch (const Error& e) {
      if (std::string(e.what()).find("bgprobe-taken") == std::string::npos) failure = e.what();
    }
  }).join();
  ASSERT_EQ(failure, "");
  EXPECT_EQ(left, std::vector<std::string>{});
}

// Runs the check in a child without any capability: nftables then refuses.
std::string nftables_status_without_capabilities() {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capset, &header, data) != 0) _exit(2);
    const auto status = doctor::nftables_check().status;
    (void)!write(fds[1], status.data(), status.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[64];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return out;
}

TEST_F(DoctorChecks, NftablesAnswersRootAndRefusesWithoutCapabilities) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto ok = doctor::nftables_check();
  EXPECT_EQ(ok.status, "ok") << ok.detail;
  EXPECT_EQ(nftables_status_without_capabilities(), "fail");
}

TEST_F(DoctorChecks, DiskSpaceAgainstThresholds) {
  EXPECT_EQ(doctor::disk_space_check(dir_, {0, 0}).status, "ok");
  const std::uint64_t huge = std::uint64_t{1} << 40;  // 1 EiB in MiB: more than any test host has
  auto warn = doctor::disk_space_check(dir_, {huge, 0});
  EXPECT_EQ(warn.status, "warn");
  EXPECT_NE(warn.detail.find("MiB free"), std::string::npos) << warn.detail;
  EXPECT_EQ(doctor::disk_space_check(dir_, {huge, huge}).status, "fail");
  EXPECT_EQ(doctor::disk_space_check(dir_ / "missing", {0, 0}).status, "fail");
}

TEST_F(DoctorChecks, GroupFromTheGroupFile) {
  std::ofstream(dir_ / "with") << "root:x:0:\nbanger:x:990:alice,bob\n";
  std::ofstream(dir_ / "without") << "root:x:0:\nbangers:x:991:\n";
  auto ok = doctor::group_check(dir_ / "with");
  EXPECT_EQ(ok.status, "ok");
  EXPECT_NE(ok.detail.find("alice,bob"), std::string::npos) << ok.detail;
  auto warn = doctor::group_check(dir_ / "without");
  EXPECT_EQ(warn.status, "warn") << "a prefix of the name is not the group";
  EXPECT_FALSE(warn.fix.empty());
}

// A private dbus-daemon; its address, or "" when none could be started.
class PrivateBus {
 public:
  PrivateBus() {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 3);
      execlp("dbus-daemon", "dbus-daemon", "--session", "--nofork", "--print-address=3", nullptr);
      _exit(127);
    }
    close(fds[1]);
    char buf[512];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    close(fds[0]);
    if (n > 0) address_.assign(buf, static_cast<std::size_t>(n));
    while (!address_.empty() && address_.back() == '\n') address_.pop_back();
  }
  ~PrivateBus() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& address() const { return address_; }

 private:
  pid_t pid_ = -1;
  std::string address_;
};

TEST_F(DoctorChecks, PolkitReachableOnlyWhenSomethingOwnsItsName) {
  PrivateBus bus;
  if (bus.address().empty()) GTEST_SKIP() << "cannot start dbus-daemon";
  const auto began = std::chrono::steady_clock::now();
  auto missing = doctor::polkit_check(bus.address(), 500ms);
  EXPECT_EQ(missing.status, "fail");
  EXPECT_NE(missing.detail.find("org.freedesktop"), std::string::npos) << missing.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);

  // A stand-in owning polkit's name: sd-bus answers Peer.Ping by itself.
  sd_bus* stand_in = nullptr;
  ASSERT_GE(sd_bus_new(&stand_in), 0);
  ASSERT_GE(sd_bus_set_address(stand_in, bus.address().c_str()), 0);
  ASSERT_GE(sd_bus_set_bus_client(stand_in, 1), 0);
  ASSERT_GE(sd_bus_start(stand_in), 0);
  ASSERT_GE(sd_bus_request_name(stand_in, "org.freedesktop.PolicyKit1", 0), 0);
  std::atomic<bool> stop{false};
  std::thread serve([&] {
    while (!stop) {
      if (sd_bus_process(stand_in, nullptr) > 0) continue;
      sd_bus_wait(stand_in, 50'000);
    }
  });
  auto ok = doctor::polkit_check(bus.address(), 2000ms);
  stop = true;
  serve.join();
  sd_bus_flush_close_unref(stand_in);
  EXPECT_EQ(ok.status, "ok") << ok.detail;
}

TEST_F(DoctorChecks, HostChecksListEveryCheckQuickly) {
  HostChecks host({dir_ / "no-firecracker", "", dir_ / "no-qemu", "qemu", dir_, dir_ / "kvm-verdict", {0, 0}, false});
  std::vector<DoctorCheck> checks;
  const auto began = std::chrono::steady_clock::now();
  host.add_doctor_checks(checks);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1s);
  std::vector<std::string> names;
  for (const auto& c : checks) names.push_back(c.check);
  EXPECT_EQ(names, (std::vector<std::string>{"kvm", "firecracker-version", "jailer-version", "qemu-version", "bridge",
                                             "nftables", "disk-space", "polkit", "group"}));
  for (const auto& c : checks) EXPECT_TRUE(c.status == "ok" || c.status == "warn" || c.status == "fail") << c.check;
  EXPECT_EQ(checks[3].status, "fail") << "the default backend's binary is missing";
  EXPECT_EQ(checks[1].status, "warn") << "another backend's binary is missing";
}

}  // namespace
}  // namespace banger
