// Idle sleep (issue 19) with the stand-in backend, whose VMM costs no CPU and
// has no tap: IdleSuspendSeconds as a CreateVM/Set option and bangerctl's
// --idle-suspend, an idle VM suspending by itself with LastError saying so, a
// VM without it staying up, and bangerctl ssh starting a suspended VM first.
#include <chrono>
#include <string>
#include <thread>

#include "test_support.h"

namespace banger::test {
namespace {

using namespace std::chrono_literals;

class IdleSleep : public ClientTest {
 protected:
  std::uint64_t idle_of(const std::string& vm) { return client_->vm_number(vm, "IdleSuspendSeconds"); }
  RunResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), env().bangerctl());
    return env().run_as("", args);
  }
  void remove(const std::string& vm) {
    const auto state = client_->vm_string(vm, "State");
    if (state == "running" || state == "suspended") {
      client_->vm_call(vm, "Kill");
      ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped"));
    }
    client_->vm_call(vm, "Delete");
  }
};

TEST_F(IdleSleep, BangerctlCreateSetShowAndTheRange) {
  auto created = ctl({"create", "idle-ctl", "--backend", "test", "--idle-suspend", "15m", "--json"});
  ASSERT_TRUE(created.ok()) << created.describe();
  EXPECT_EQ(json_of(created)["idle_suspend_s"], 900) << created.out;
  const std::string vm = client_->get_vm("idle-ctl");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "created"));
  EXPECT_EQ(idle_of(vm), 900u);
  const auto shown = ctl({"show", "idle-ctl"});
  EXPECT_NE(shown.out.find("Idle sleep: after 900 s idle"), std::string::npos) << shown.describe();

  for (const auto& [text, seconds] : std::vector<std::pair<std::string, std::uint64_t>>{
           {"2h", 7200}, {"90s", 90}, {"45", 45}, {"0", 0}}) {
    auto set = ctl({"set", "idle-ctl", "--idle-suspend", text});
    ASSERT_TRUE(set.ok()) << text << ": " << set.describe();
    EXPECT_EQ(idle_of(vm), seconds) << text;
  }
  EXPECT_NE(ctl({"show", "idle-ctl"}).out.find("Idle sleep: off"), std::string::npos);
  auto typo = ctl({"set", "idle-ctl", "--idle-suspend", "15 min"});
  EXPECT_FALSE(typo.ok()) << typo.describe();
  EXPECT_NE(typo.err.find("not a duration"), std::string::npos) << typo.err;
  auto too_short = ctl({"set", "idle-ctl", "--idle-suspend", "2s"});
  EXPECT_FALSE(too_short.ok());
  EXPECT_NE(too_short.err.find("option 'idle_suspend' must be 0 (never) or between 5 and 2592000"),
            std::string::npos)
      << too_short.err;
  EXPECT_EQ(idle_of(vm), 0u) << "a refused value changes nothing";
  auto wrong_type = error_of([&] { client_->set(vm, {{"idle_suspend", sdbus::Variant(true)}}); });
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->getName(), "org.freedesktop.DBus.Error.InvalidArgs");

  EXPECT_EQ(ctl({"__complete", "--", "create", "new", "--idle"}).out, "--idle-suspend\n");
  EXPECT_EQ(ctl({"__complete", "--", "set", "idle-ctl", "--idle"}).out, "--idle-suspend\n");
  remove(vm);
}

TEST_F(IdleSleep, AnIdleVmSuspendsByItselfAndOneWithoutItStaysUp) {
  const std::string sleeper =
      client_->create_ready(*recorder_, "idle-sleeper", {{"idle_suspend", sdbus::Variant(std::uint32_t{5})}});
  const std::string awake = client_->create_ready(*recorder_, "idle-awake");
  const auto begun = std::chrono::steady_clock::now();
  client_->vm_call(sleeper, "Start");
  client_->vm_call(awake, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, sleeper, "running"));
  EXPECT_TRUE(client_->wait_state(*recorder_, sleeper, "suspended", 20s)) << env().logs();
  EXPECT_GE(std::chrono::steady_clock::now() - begun, 5s);
  const auto why = client_->vm_string(sleeper, "LastError");
  EXPECT_EQ(why.rfind("suspended after ", 0), 0u) << why;
  EXPECT_NE(why.find(" s idle"), std::string::npos) << why;
  EXPECT_EQ(client_->vm_string(awake, "State"), "running") << "IdleSuspendSeconds 0: never";

  // Started again, it runs with a new clock and LastError cleared.
  client_->vm_call(sleeper, "Start");
  EXPECT_EQ(client_->vm_string(sleeper, "State"), "running");
  EXPECT_EQ(client_->vm_string(sleeper, "LastError"), "");
  // Set to never while running: it stays up.
  client_->set(sleeper, {{"idle_suspend", sdbus::Variant(std::uint32_t{0})}});
  std::this_thread::sleep_for(8s);
  EXPECT_EQ(client_->vm_string(sleeper, "State"), "running");
  remove(sleeper);
  remove(awake);
}

TEST_F(IdleSleep, BangerctlSshStartsASuspendedVmFirst) {
  const std::string vm = running_vm("idle-ssh");
  client_->vm_call(vm, "Suspend");
  ASSERT_EQ(client_->vm_string(vm, "State"), "suspended");
  auto ssh = ctl({"exec", "idle-ssh", "--", "true"});  // the stand-in has no network: ssh itself fails
  EXPECT_NE(ssh.err.find("VM 'idle-ssh' is suspended; starting it"), std::string::npos) << ssh.describe();
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  remove(vm);
}

}  // namespace
}  // namespace banger::test
