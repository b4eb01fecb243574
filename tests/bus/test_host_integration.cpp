// Host integration (issue 16) against stand-ins of systemd-machined and
// systemd-logind on the private bus (fake_host_services.h), with the stand-in
// VMM backend: running VMs are registered with machined and unregistered when
// they stop, bangerd holds a delay inhibitor lock exactly while VMs run, host
// sleep pauses and resumes the VMMs, host shutdown stops the VMs.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "fake_host_services.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Polls `done` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

// The state letter of /proc/<pid>/stat ('T' stopped by a signal, 'S' sleeping …).
char process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

class HostIntegration : public ClientTest {
 public:
  static void TearDownTestSuite() {
    fakes_.reset();
    ClientTest::TearDownTestSuite();
  }

 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!fakes_) fakes_ = std::make_unique<FakeHostServices>(env().address());
  }
  void TearDown() override {
    // Every test leaves no VM behind, so the next one starts without a lock.
    for (const auto& row : client_->list_vms()) {
      const std::string path = std::get<3>(row);
      if (client_->vm_string(path, "State") == "running") client_->vm_call(path, "Kill");
      client_->vm_call(path, "Delete");
    }
    ClientTest::TearDown();
  }

  FakeHostServices& fakes() { return *fakes_; }
  std::size_t calls_of(const std::string& method, const std::string& name) {
    std::size_t n = 0;
    for (const auto& c : fakes().machine_calls()) n += c.method == method && c.name == name;
    return n;
  }
  std::vector<std::string> held_reasons() {
    std::vector<std::string> out;
    for (const auto& l : fakes().held_locks()) out.push_back(l.why);
    return out;
  }

  static inline std::unique_ptr<FakeHostServices> fakes_;
};

TEST_F(HostIntegration, DoctorFindsMachinedAndLogind) {
  const auto r = env().run_as("", {env().bangerctl(), "doctor", "--json"});
  std::map<std::string, std::string> status;
  for (const auto& c : json_of(r)) status[c.value("check", "")] = c.value("status", "");
  EXPECT_EQ(status["machined"], "ok") << r.out;
  EXPECT_EQ(status["logind"], "ok") << r.out;
}

TEST_F(HostIntegration, ARunningVmIsAMachineUntilItStops) {
  const auto vm = running_vm("hi-machine");
  ASSERT_TRUE(eventually([&] { return calls_of("CreateMachineWithNetwork", "hi-machine") == 1; }))
      << "machine calls: " << fakes().machine_calls().size();
  FakeHostServices::MachineCall call;
  for (const auto& c : fakes().machine_calls())
    if (c.name == "hi-machine") call = c;
  EXPECT_EQ(call.machine_class, "vm");
  EXPECT_EQ(call.service, "banger");
  EXPECT_EQ(call.leader, static_cast<std::uint32_t>(vmm_pid(vm))) << "the VMM leads the machine";
  EXPECT_NE(call.leader, 0u);
  EXPECT_EQ(call.root_directory, "");
  EXPECT_TRUE(call.ifindices.empty()) << "the test daemon's VMs have no tap";
  EXPECT_EQ(call.id_bytes, 16u) << "the VM's 128-bit id";
  EXPECT_EQ(call.scope_properties, (std::vector<std::string>{"Description", "DevicePolicy", "DeviceAllow"}))
      << "the VMM's scope keeps bangerd.service's device policy";
  EXPECT_EQ(calls_of("RegisterMachineWithNetwork", "hi-machine"), 0u);

  client_->stop(vm);
  EXPECT_TRUE(eventually([&] { return calls_of("UnregisterMachine", "hi-machine") == 1; }));
  EXPECT_TRUE(fakes().machines().empty());
}

TEST_F(HostIntegration, AKilledOrCrashedVmIsUnregistered) {
  const auto killed = running_vm("hi-killed");
  const auto crashed = running_vm("hi-crashed");
  ASSERT_TRUE(eventually([&] { return fakes().machines().size() == 2; }));
  client_->vm_call(killed, "Kill");
  EXPECT_TRUE(eventually([&] { return calls_of("UnregisterMachine", "hi-killed") == 1; }));
  const pid_t crashed_vmm = vmm_pid(crashed);
  ASSERT_GT(crashed_vmm, 0);
  ::kill(crashed_vmm, SIGKILL);
  EXPECT_TRUE(client_->wait_state(*recorder_, crashed, "failed"));
  EXPECT_TRUE(eventually([&] { return calls_of("UnregisterMachine", "hi-crashed") == 1; }));
  EXPECT_TRUE(fakes().machines().empty());
}

TEST_F(HostIntegration, ARunningVmRenamedIsTheMachineOfItsNewName) {
  const auto vm = running_vm("hi-before");
  ASSERT_TRUE(eventually([&] { return fakes().machines() == std::vector<std::string>{"hi-before"}; }));
  client_->set(vm, {{"name", sdbus::Variant(std::string("hi-after"))}});
  EXPECT_TRUE(eventually([&] { return fakes().machines() == std::vector<std::string>{"hi-after"}; }));
  EXPECT_EQ(calls_of("UnregisterMachine", "hi-before"), 1u);
  client_->stop(vm);
  EXPECT_TRUE(eventually([&] { return fakes().machines().empty(); }));
}

// What machined does for `machinectl poweroff VM`: SIGRTMIN+4 to the machine's leader.
TEST_F(HostIntegration, MachinedsPoweroffSignalIsAGracefulStop) {
  const auto vm = running_vm("hi-poweroff");
  ASSERT_TRUE(eventually([&] { return fakes().machines().size() == 1; }));
  const pid_t vmm = vmm_pid(vm);
  ASSERT_GT(vmm, 0);
  ASSERT_EQ(::kill(vmm, SIGRTMIN + 4), 0);
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "stopped", 10s)) << client_->vm_string(vm, "State");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "") << "a stop, not a crash";
  EXPECT_TRUE(eventually([&] { return calls_of("UnregisterMachine", "hi-poweroff") == 1; }));
}

TEST_F(HostIntegration, AdoptedVmsAreRegisteredAgainAfterARestart) {
  const auto vm = running_vm("hi-adopted");
  ASSERT_TRUE(eventually([&] { return calls_of("CreateMachineWithNetwork", "hi-adopted") == 1; }));
  ASSERT_NO_THROW(env().restart_daemon());
  // machined still knows it: "already exists" is no failure.
  EXPECT_TRUE(eventually([&] { return calls_of("CreateMachineWithNetwork", "hi-adopted") == 2; }));
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  client_->stop(vm);
  EXPECT_TRUE(eventually([&] { return calls_of("UnregisterMachine", "hi-adopted") == 1; }))
      << "the adopted VM is unregistered by the new bangerd";
}

TEST_F(HostIntegration, TheInhibitorLockIsHeldExactlyWhileVmsRun) {
  EXPECT_TRUE(eventually([&] { return fakes().held_locks().empty(); })) << "no VM runs yet";
  const auto a = running_vm("hi-lock-a");
  ASSERT_TRUE(eventually([&] { return held_reasons() == std::vector<std::string>{"1 VM running"}; }));
  const auto lock = fakes().held_locks().at(0);
  EXPECT_EQ(lock.what, "sleep:shutdown");
  EXPECT_EQ(lock.who, "banger");
  EXPECT_EQ(lock.mode, "delay");

  const auto b = running_vm("hi-lock-b");
  EXPECT_TRUE(eventually([&] { return held_reasons() == std::vector<std::string>{"2 VMs running"}; }))
      << "a new lock for the new count, the old one closed";
  client_->stop(a);
  EXPECT_TRUE(eventually([&] { return held_reasons() == std::vector<std::string>{"1 VM running"}; }));
  client_->stop(b);
  EXPECT_TRUE(eventually([&] { return fakes().held_locks().empty(); })) << "no VM runs: no lock";
}

TEST_F(HostIntegration, SleepPausesTheVmsAndWakingResumesThem) {
  const auto a = running_vm("hi-sleep-a");
  const auto b = running_vm("hi-sleep-b");
  const pid_t pa = vmm_pid(a), pb = vmm_pid(b);
  ASSERT_TRUE(eventually([&] { return held_reasons().size() == 1; }));

  fakes().emit_prepare_for_sleep(true);
  EXPECT_TRUE(eventually([&] { return process_state(pa) == 'T' && process_state(pb) == 'T'; }))
      << process_state(pa) << process_state(pb);
  EXPECT_TRUE(eventually([&] { return fakes().held_locks().empty(); })) << "let go once paused";
  EXPECT_EQ(client_->vm_string(a, "State"), "running");

  fakes().emit_prepare_for_sleep(false);
  EXPECT_TRUE(eventually([&] { return process_state(pa) != 'T' && process_state(pb) != 'T'; }))
      << process_state(pa) << process_state(pb);
  EXPECT_TRUE(eventually([&] { return held_reasons() == std::vector<std::string>{"2 VMs running"}; }));
  EXPECT_EQ(client_->vm_string(b, "State"), "running");
}

TEST_F(HostIntegration, ShutdownStopsTheVmsWithinLogindsDelay) {
  fakes().set_inhibit_delay_max(3s);
  const auto a = running_vm("hi-down-a");
  const auto b = running_vm("hi-down-b");
  ASSERT_TRUE(eventually([&] { return held_reasons().size() == 1; }));

  const auto began = Clock::now();
  fakes().emit_prepare_for_shutdown(true);
  EXPECT_TRUE(client_->wait_state(*recorder_, a, "stopped", 5s));
  EXPECT_TRUE(client_->wait_state(*recorder_, b, "stopped", 5s));
  EXPECT_LT(Clock::now() - began, 3s) << "within InhibitDelayMaxUSec";
  EXPECT_TRUE(eventually([&] { return fakes().held_locks().empty(); }));
  EXPECT_TRUE(eventually([&] { return fakes().machines().empty(); }));

  // A cancelled shutdown (PrepareForShutdown(false)): VMs are protected again.
  fakes().emit_prepare_for_shutdown(false);
  running_vm("hi-down-c");
  EXPECT_TRUE(eventually([&] { return held_reasons() == std::vector<std::string>{"1 VM running"}; }));
  fakes().set_inhibit_delay_max(5s);
}

// [vm] at_host_shutdown = "suspend" (issue 19): the VMs are suspended to disk instead.
TEST_F(HostIntegration, ShutdownSuspendsTheVmsWhenConfigured) {
  const auto config = env().dir() / "bangerd.toml";
  std::string original;
  {
    std::ifstream in(config);
    original.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_EQ(original.find("[vm]"), std::string::npos) << "the suite's config has no [vm] table to add to";
  std::ofstream(config, std::ios::app) << "\n[vm]\nat_host_shutdown = \"suspend\"\n";
  env().restart_daemon();
  fakes().set_inhibit_delay_max(3s);
  const auto vm = running_vm("hi-down-suspend");
  ASSERT_TRUE(eventually([&] { return held_reasons().size() == 1; }));
  fakes().emit_prepare_for_shutdown(true);
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "suspended", 5s)) << client_->vm_string(vm, "State");
  EXPECT_TRUE(fs::exists(env().dir() / "state" / "saved-states" / client_->vm_string(vm, "Id") / "manifest"));
  EXPECT_TRUE(eventually([&] { return fakes().held_locks().empty(); })) << "no VMM runs: nothing to hold";
  fakes().emit_prepare_for_shutdown(false);
  std::ofstream(config, std::ios::trunc) << original;
  env().restart_daemon();
  fakes().set_inhibit_delay_max(5s);
}

// Where neither service runs (the stand-ins gone from the bus), VMs start and
// stop as ever and the doctor says what is missing.
TEST_F(HostIntegration, WithoutMachinedAndLogindNothingFails) {
  fakes_.reset();
  const auto vm = running_vm("hi-alone");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");
  const auto r = env().run_as("", {env().bangerctl(), "doctor", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  std::map<std::string, std::string> status;
  for (const auto& c : json_of(r)) status[c.value("check", "")] = c.value("status", "");
  EXPECT_EQ(status["machined"], "warn") << r.out;
  EXPECT_EQ(status["logind"], "warn") << r.out;
  client_->stop(vm);
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
}

}  // namespace
}  // namespace banger::test
