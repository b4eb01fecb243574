#pragma once
// Suites of real guests booted by the real bangerd in a network namespace
// of their own (bangerd_netns.h), and their ways into them: commands over SSH
// with the daemon's key, VM methods with room for a slow TCG guest, and the
// console for failure messages.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include "bangerd_netns.h"
#include "bus_client.h"
#include "bus_environment.h"
#include "netns.h"
#include "test_support.h"

namespace banger::test {

// Runs a shell command inside a guest; what it printed (stdout and stderr) and its exit status.
using InGuest = std::function<CommandResult(const std::string& command)>;

inline bool poll_until(const std::function<bool()>& done, std::chrono::seconds timeout) {
  for (auto deadline = std::chrono::steady_clock::now() + timeout;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

inline std::filesystem::path daemon_ssh_key(const BusEnvironment& env) {
  return env.dir() / "state" / "ssh" / "id_ed25519";
}

// The SSH host key bangerd pinned for a VM ("ssh-ed25519 AAAA…"), "" when none.
inline std::string pinned_host_key(const BusEnvironment& env, const std::string& vm_id) {
  std::ifstream in(env.dir() / "state" / "vms" / vm_id / "ssh_host_key.pub");
  std::string line;
  std::getline(in, line);
  return line;
}

// What the guest asks for its dropbear's Ed25519 host key, as pinned_host_key shows one.
inline constexpr const char* guest_host_key_command =
    "set -- $(dropbearkey -y -f /etc/dropbear/dropbear_ed25519_host_key | grep ^ssh-ed25519); echo -n $1 $2";

// Why commands cannot be run in the guests yet, or nullopt when they can.
inline std::optional<std::string> ssh_unavailable(const std::filesystem::path& key) {
  if (!std::filesystem::exists(key)) return "the daemon's SSH key is not there yet (" + key.string() + ")";
  if (run_command("command -v ssh >/dev/null").status != 0) return "ssh is not installed (openssh-client)";
  return std::nullopt;
}

// Runs commands in the guest at `address` with the system ssh and `key`, from `netns`.
inline InGuest ssh_into(const ScopedNetns& netns, const std::filesystem::path& key, const std::string& address) {
  const std::string ssh = "ssh -i " + key.string() +
                          " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes"
                          " -o ConnectTimeout=5 -o LogLevel=ERROR root@" +
                          address;
  return [&netns, ssh](const std::string& command) {
    EXPECT_EQ(command.find('\''), std::string::npos) << "the command is passed in single quotes";
    return netns.exec(ssh + " '" + command + "' 2>&1");
  };
}

// `in_guest` once the guest's SSH server answers (Start may return before it
// does); `describe` says why not, for the failure message.
inline InGuest ssh_ready(InGuest in_guest, const std::function<std::string()>& describe) {
  EXPECT_TRUE(poll_until([&] { return in_guest("true").status == 0; }, std::chrono::seconds(30)))
      << "no SSH: " << in_guest("true").out << describe();
  return in_guest;
}

// The guest's console so far, headed with its name, for failure messages.
inline std::string console_of(BusClient& client, const std::string& path, const std::string& name) {
  try {
    return "===== console of " + name + " =====\n" + client.read_console(path, 0, 65536).first + "\n";
  } catch (const sdbus::Error& e) {
    return "(no console: " + e.getMessage() + ")\n";
  }
}

// The fixture of such a suite. Its SetUpTestSuite calls enter_namespace first,
// then ClientTest::SetUpTestSuite; every test skips where namespaces cannot be
// made (not root, a program or device missing).
class RealGuestTest : public ClientTest {
 protected:
  static bool enter_namespace(const NetnsNeeds& needs) {
    netns_ = bangerd_netns(needs, netns_skip_);
    if (!netns_) return false;
    netns_->ip("link set lo up");  // as on any host: the host side reaches its own addresses
    return true;
  }
  // An "outside" namespace joined to bangerd's by a veth pair (TEST-NET-2, directly
  // connected, with no route back to the VMs' subnet): the world NAT leads to.
  static void join_outside() {
    outside_ = std::make_unique<ScopedNetns>(/*enter=*/false);
    netns_->ip("link add " + kUplink + " type veth peer name eth0 netns " + outside_->name());
    netns_->ip("addr add " + kUplinkAddress + "/24 dev " + kUplink);
    netns_->ip("link set " + kUplink + " up");
    outside_->ip("addr add " + kOutsideAddress + "/24 dev eth0");
    outside_->ip("link set eth0 up");
  }
  static void TearDownTestSuite() {
    ClientTest::TearDownTestSuite();  // kills the VMs and stops bangerd before their namespace goes
    netns_.reset();
    outside_.reset();
  }
  void SetUp() override {
    if (!netns_skip_.empty()) GTEST_SKIP() << netns_skip_;
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
  }

  // A VM method with room for a slow TCG guest (Start waits for its SSH); Stop is graceful.
  void call(const std::string& path, const std::string& method) {
    auto proxy = sdbus::createProxy(*connection_, kService, path);
    auto message = proxy->createMethodCall(kVm, method);
    if (method == "Stop") message << false;
    proxy->callMethod(message, std::chrono::seconds(180));
  }

  // bangerd's end of the veth pair to the outside, its address and the outside's.
  static inline const std::string kUplink = "bgx-uplink";
  static inline const std::string kUplinkAddress = "198.51.100.1";
  static inline const std::string kOutsideAddress = "198.51.100.2";
  static inline std::unique_ptr<ScopedNetns> netns_;
  static inline std::unique_ptr<ScopedNetns> outside_;  // after join_outside()
  static inline std::string netns_skip_;
  std::unique_ptr<sdbus::IConnection> connection_;
};

}  // namespace banger::test
