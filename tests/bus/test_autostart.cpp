// Autostart (issue 16) against a running bangerd-test: the property, the
// CreateVM/Set option and bangerctl's flags, the marker file in the state dir,
// and the start after a host boot. A reboot is simulated by the boot id file
// bangerd-test reads instead of the kernel's ($BANGER_TEST_BOOT_ID_FILE): a
// restart with a new id there is a restart after a boot, one with the same id a
// restart within the boot.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Autostart : public ClientTest {
 protected:
  fs::path marker() { return env().dir() / "state" / "autostart"; }
  fs::path boot_id() { return env().dir() / "boot_id"; }
  bool autostart_of(const std::string& vm) { return std::get<bool>(client_->property(vm, kVm, "Autostart")); }

  // Restarts bangerd as if the host had booted with `id` (the same id again: a restart within that boot).
  void restart_in_boot(const std::string& id) {
    std::ofstream(boot_id()) << id << "\n";
    env().set_daemon_env({{"BANGER_TEST_BOOT_ID_FILE", boot_id().string()}});
    ASSERT_NO_THROW(env().restart_daemon());
  }

  // The pass runs right after the name is taken and the stand-in backend starts at once:
  // a VM still down after this was not started.
  void expect_stays(const std::string& vm, const std::string& state) {
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(client_->vm_string(vm, "State"), state) << env().logs();
  }

  void remove(const std::string& vm) {
    if (client_->vm_string(vm, "State") == "running") {
      client_->vm_call(vm, "Kill");
      ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped"));
    }
    client_->vm_call(vm, "Delete");
  }
};

TEST_F(Autostart, IsAPropertyOfCreateAndSetKeptInTheMarkerFile) {
  EXPECT_FALSE(fs::exists(marker())) << "no VM has autostart yet";
  const std::string off = client_->create_ready(*recorder_, "as-off");
  EXPECT_FALSE(autostart_of(off)) << "off unless asked for";
  const std::string on = client_->create_ready(*recorder_, "as-on", {{"autostart", sdbus::Variant(true)}});
  EXPECT_TRUE(autostart_of(on));
  const std::string on_id = client_->vm_string(on, "Id");
  EXPECT_EQ(read(marker()), on_id + " as-on\n");

  // Wrong types are refused and change nothing.
  auto bad = error_of([&] { client_->set(off, {{"autostart", sdbus::Variant(std::string("on"))}}); });
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->getName(), "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_NE(bad->getMessage().find("autostart"), std::string::npos) << bad->getMessage();
  auto bad_create = error_of([&] { client_->create_vm("as-bad", {{"autostart", sdbus::Variant(std::uint32_t{1})}}); });
  ASSERT_TRUE(bad_create);
  EXPECT_EQ(bad_create->getName(), "org.freedesktop.DBus.Error.InvalidArgs");

  // Set any time, also while running; PropertiesChanged says so.
  client_->vm_call(off, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, off, "running"));
  client_->set(off, {{"autostart", sdbus::Variant(true)}});
  EXPECT_TRUE(autostart_of(off));
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) {
    return s.path == off && s.member == "PropertiesChanged" && s.properties.count("Autostart");
  }));
  EXPECT_NE(read(marker()).find(client_->vm_string(off, "Id") + " as-off\n"), std::string::npos) << read(marker());

  // A clone starts without it.
  auto [copy, operation] = client_->clone(on, "as-copy");
  ASSERT_TRUE(client_->wait_state(*recorder_, copy, "created"));
  EXPECT_FALSE(autostart_of(copy));

  client_->set(off, {{"autostart", sdbus::Variant(false)}});
  EXPECT_EQ(read(marker()), on_id + " as-on\n");
  remove(on);
  EXPECT_FALSE(fs::exists(marker())) << "gone with the last VM that had autostart";
  remove(off);
  remove(copy);
}

TEST_F(Autostart, SetIsAuthorizedLikeTheOtherSetOptions) {
  const std::string vm = client_->create_ready(*recorder_, "as-authz");  // root's
  auto set_as = [&](const std::string& user) {
    return parse_probe(env().probe_as(user, {"--no-interactive", vm, kVm, "Set", "a{sv}", "1", "autostart", "b", "true"}));
  };
  auto bob = set_as("banger-bob");  // neither the owner nor in group banger
  EXPECT_EQ(bob.error_name, kDeniedWithoutInteraction) << bob.error_message;
  EXPECT_FALSE(autostart_of(vm));
  EXPECT_FALSE(fs::exists(marker())) << "a refused call leaves no marker";
  auto op = set_as("banger-op");  // group banger: every VM
  EXPECT_TRUE(op.ok) << op.error_name << ": " << op.error_message;
  EXPECT_TRUE(autostart_of(vm));
  EXPECT_TRUE(fs::exists(marker()));
  remove(vm);
  EXPECT_FALSE(fs::exists(marker()));
}

TEST_F(Autostart, BangerctlCreateSetAndShow) {
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), env().bangerctl());
    return env().run_as("", args);
  };
  auto created = ctl({"create", "as-ctl", "--backend", "test", "--autostart", "--json"});
  ASSERT_TRUE(created.ok()) << created.describe();
  EXPECT_EQ(json_of(created)["autostart"], true) << created.out;
  const std::string vm = client_->get_vm("as-ctl");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "created"));
  auto show = ctl({"show", "as-ctl"});
  EXPECT_NE(show.out.find("Autostart:  on"), std::string::npos) << show.out;

  auto off = ctl({"set", "as-ctl", "--autostart", "off"});
  ASSERT_TRUE(off.ok()) << off.describe();
  EXPECT_FALSE(autostart_of(vm));
  auto shown = ctl({"show", "as-ctl", "--json"});
  EXPECT_EQ(json_of(shown)["autostart"], false) << shown.out;
  EXPECT_NE(ctl({"show", "as-ctl"}).out.find("Autostart:  off"), std::string::npos);
  EXPECT_TRUE(ctl({"set", "as-ctl", "--autostart", "on"}).ok());
  EXPECT_TRUE(autostart_of(vm));
  auto wrong = ctl({"set", "as-ctl", "--autostart", "maybe"});
  EXPECT_FALSE(wrong.ok()) << wrong.describe();
  EXPECT_TRUE(autostart_of(vm)) << "a refused value changes nothing";

  // The completion's back end (data/bangerctl.bash-completion runs it) offers the option on both verbs.
  EXPECT_EQ(ctl({"__complete", "--", "create", "new", "--auto"}).out, "--autostart\n");
  EXPECT_EQ(ctl({"__complete", "--", "set", "as-ctl", "--auto"}).out, "--autostart\n");
  remove(vm);
}

TEST_F(Autostart, StartsAfterABootOnceAndNotOnARestartWithinIt) {
  // A boot of its own first, so no VM of another test is in play.
  restart_in_boot("boot-1");
  const std::string on = client_->create_ready(*recorder_, "boot-on", {{"autostart", sdbus::Variant(true)}});
  const std::string off = client_->create_ready(*recorder_, "boot-off");
  // A VM with autostart whose start failed before the boot: a boot is its fresh try.
  const std::string broken = client_->create_ready(*recorder_, "boot-failed", {{"autostart", sdbus::Variant(true)}});
  env().set_faults({"start"});
  EXPECT_TRUE(error_of([&] { client_->vm_call(broken, "Start"); }));
  env().set_faults({});
  ASSERT_EQ(client_->vm_string(broken, "State"), "failed");

  // bangerd restarts within the same boot: nothing starts.
  restart_in_boot("boot-1");
  expect_stays(on, "created");
  expect_stays(broken, "failed");

  // The host boots: the VMs with autostart come up without any call, the other does not.
  restart_in_boot("boot-2");
  EXPECT_TRUE(client_->wait_state(*recorder_, on, "running", 30s)) << client_->vm_string(on, "State") << env().logs();
  EXPECT_TRUE(client_->wait_state(*recorder_, broken, "running", 30s)) << client_->vm_string(broken, "State");
  expect_stays(off, "created");
  EXPECT_NE(env().logs().find("vm.autostart"), std::string::npos) << "each start is logged";

  // The user stops it; bangerd restarts within that boot: it stays stopped.
  client_->stop(on);
  ASSERT_TRUE(client_->wait_state(*recorder_, on, "stopped"));
  restart_in_boot("boot-2");
  expect_stays(on, "stopped");

  // Autostart turned off before the next boot: it stays down then.
  client_->set(on, {{"autostart", sdbus::Variant(false)}});
  client_->vm_call(broken, "Kill");
  ASSERT_TRUE(client_->wait_state(*recorder_, broken, "stopped"));
  restart_in_boot("boot-3");
  EXPECT_TRUE(client_->wait_state(*recorder_, broken, "running", 30s)) << client_->vm_string(broken, "State");
  expect_stays(on, "stopped");

  remove(on);
  remove(off);
  remove(broken);
}

}  // namespace
}  // namespace banger::test
