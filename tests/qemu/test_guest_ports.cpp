// A real guest's listening ports (VM.Ports): the real bangerd (QEMU backend,
// the default image) in a network namespace of this suite's own
// (bangerd_netns.h) polls the guest over its SSH session. A server started in
// the guest over SSH appears in Ports with a PropertiesChanged, goes when it
// is killed, is seen again after a daemon restart (the VM adopted), and the
// list empties when the VM stops.
#include <chrono>
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "bangerd_netns.h"
#include "default_image.h"
#include "guest_shell.h"
#include "test_support.h"

namespace banger::test {
namespace {

using Port = std::tuple<std::string, std::uint16_t, std::string>;
using PortList = std::vector<Port>;

std::string describe(const PortList& ports) {
  std::string out = "[";
  for (const auto& [proto, port, process] : ports)
    out += " " + proto + "/" + std::to_string(port) + "(" + process + ")";
  return out + " ]";
}

bool has(const PortList& ports, const Port& port) {
  return std::find(ports.begin(), ports.end(), port) != ports.end();
}

class GuestPorts : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"nft", "ssh"}, .devices = {"/dev/net/tun"}})) return;
    ClientTest::SetUpTestSuite();
  }

  RunResult ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{env().bangerctl(), "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    return env().run_as("", argv, 180s);
  }

  void boot_guest() {
    if (!path_.empty()) return;
    auto image = build_and_import_default_image(env());
    ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
    auto created = ctl({"create", "ports-guest", "--memory", "256"});
    ASSERT_TRUE(created.ok()) << created.describe();
    auto started = ctl({"start", "ports-guest"});
    ASSERT_TRUE(started.ok()) << started.describe() << env().logs();
    path_ = client_->get_vm("ports-guest");
    address_ = client_->vm_string(path_, "IPv4Address");
    ASSERT_FALSE(address_.empty());
  }

  InGuest in_guest() {
    return ssh_ready(ssh_into(*netns_, daemon_ssh_key(env()), address_),
                     [&] { return console_of(*client_, path_, "ports-guest"); });
  }

  PortList ports() {
    auto proxy = sdbus::createProxy(*connection_, kService, path_);
    PortList out;
    for (const auto& p : proxy->getProperty("Ports").onInterface(kVm).get<
                             std::vector<sdbus::Struct<std::string, std::uint16_t, std::string>>>())
      out.emplace_back(p.get<0>(), p.get<1>(), p.get<2>());
    return out;
  }
  // Polls the property until `done` holds (the guest is polled every 2 s).
  bool ports_become(const std::function<bool(const PortList&)>& done, std::chrono::seconds timeout = 60s) {
    return poll_until([&] { return done(ports()); }, timeout);
  }
  std::size_t ports_signals() {
    return recorder_
        ->matching([&](const Signal& s) {
          return s.path == path_ && s.member == "PropertiesChanged" && s.properties.contains("Ports");
        })
        .size();
  }

  static inline std::string path_;
  static inline std::string address_;
};

const Port kDropbear{"tcp", 22, "dropbear"};
const Port kHttpd{"tcp", 8080, "httpd"};

TEST_F(GuestPorts, AServerStartedInTheGuestComesAndGoes) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  ASSERT_TRUE(ports_become([](const PortList& p) { return has(p, kDropbear); }))
      << describe(ports()) << env().logs();
  EXPECT_FALSE(has(ports(), kHttpd));
  const auto signals_before = ports_signals();

  auto run = in_guest()("httpd -p 8080 -h /tmp");  // daemonizes: the SSH command returns
  ASSERT_EQ(run.status, 0) << run.out;
  ASSERT_TRUE(ports_become([](const PortList& p) { return has(p, kHttpd); })) << describe(ports());
  EXPECT_TRUE(has(ports(), kDropbear));
  EXPECT_GT(ports_signals(), signals_before) << recorder_->dump();

  auto listed = ctl({"ports", "ports-guest", "--json"});
  ASSERT_TRUE(listed.ok()) << listed.describe();
  const auto listed_ports = json_of(listed);
  const nlohmann::json httpd_entry{{"protocol", "tcp"}, {"port", 8080}, {"process", "httpd"}};
  EXPECT_TRUE(listed_ports.is_array() &&
              std::find(listed_ports.begin(), listed_ports.end(), httpd_entry) != listed_ports.end())
      << listed.out;
  auto table = ctl({"ports", "ports-guest"});
  EXPECT_NE(table.out.find("tcp    8080  httpd"), std::string::npos) << table.out;

  const auto signals_with_httpd = ports_signals();
  auto killed = in_guest()("killall httpd");
  ASSERT_EQ(killed.status, 0) << killed.out;
  ASSERT_TRUE(ports_become([](const PortList& p) { return !has(p, kHttpd); })) << describe(ports());
  EXPECT_TRUE(has(ports(), kDropbear));
  EXPECT_GT(ports_signals(), signals_with_httpd) << recorder_->dump();
}

TEST_F(GuestPorts, AnAdoptedVmIsPolledAfterADaemonRestart) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  env().kill_daemon();
  env().start_daemon();
  ASSERT_EQ(client_->vm_string(path_, "State"), "running") << env().logs();
  ASSERT_TRUE(ports_become([](const PortList& p) { return has(p, kDropbear); }))
      << describe(ports()) << env().logs();
  auto run = in_guest()("httpd -p 8080 -h /tmp");
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_TRUE(ports_become([](const PortList& p) { return has(p, kHttpd); })) << describe(ports());
}

TEST_F(GuestPorts, AStoppedVmListsNoPorts) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  ASSERT_TRUE(ports_become([](const PortList& p) { return !p.empty(); })) << env().logs();
  call(path_, "Kill");
  ASSERT_TRUE(client_->wait_state(*recorder_, path_, "stopped", 60s));
  EXPECT_TRUE(ports_become([](const PortList& p) { return p.empty(); }, 10s)) << describe(ports());
  client_->vm_call(path_, "Delete");
  path_.clear();
}

}  // namespace
}  // namespace banger::test
