// A real guest kept off the host's own services (users): the real bangerd
// (QEMU backend, the default image) in a network namespace of this suite's
// own, as in bus-guest-network. The host side runs a TCP service on every
// address of bangerd's namespace (the gateway and the uplink 198.51.100.1);
// an "outside" namespace behind the uplink runs the same service. From the
// guest, the outside one answers (through NAT: the guest's TCP works), the
// host's do not, and DNS through the gateway does.
#include <chrono>
#include <memory>
#include <string>

#include "banger/object_path.h"
#include "bangerd_netns.h"
#include "default_image.h"
#include "guest_shell.h"
#include "test_support.h"

namespace banger::test {
namespace {

using namespace std::chrono_literals;

const int kPort = 7101;

// A TCP service on every address of `ns` that greets each connection with
// "hello"; returns its pid (it runs until killed).
std::string serve_hello(const ScopedNetns& ns) {
  const std::string server =
      "import socket\n"
      "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
      "s.bind((\"0.0.0.0\", " + std::to_string(kPort) + ")); s.listen(8)\n"
      "while True:\n"
      "    c = s.accept()[0]; c.sendall(b\"hello\\n\"); c.close()\n";
  const auto started =
      run_command("ip netns exec " + ns.name() + " python3 -c '" + server + "' >/dev/null 2>&1 & echo $!");
  return started.out.substr(0, started.out.find('\n'));
}

class GuestHostInput : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"nft", "ping", "python3"}, .devices = {"/dev/net/tun"}})) return;
    join_outside();
    host_server_ = serve_hello(*netns_);
    outside_server_ = serve_hello(*outside_);
    ClientTest::SetUpTestSuite();
  }
  static void TearDownTestSuite() {
    for (const auto& pid : {host_server_, outside_server_})
      if (!pid.empty()) run_command("kill " + pid + " 2>/dev/null");
    RealGuestTest::TearDownTestSuite();
  }

  std::string network_string(const std::string& property) {
    return to_string(client_->property(bus::network_path("default"), bus::network_interface, property));
  }

  static inline std::string host_server_, outside_server_;
};

TEST_F(GuestHostInput, TheGuestReachesOnlyDnsOnTheHostButTheOutsideThroughNat) {
  if (auto why = ssh_unavailable(daemon_ssh_key(env()))) GTEST_SKIP() << *why;
  auto image = build_and_import_default_image(env());
  ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
  const auto vm = client_->create_ready(*recorder_, "fenced", {{"memory", sdbus::Variant(256u)}});
  call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running", 60s)) << client_->vm_string(vm, "LastError");
  const auto address = client_->vm_string(vm, "IPv4Address");
  const auto gateway = network_string("Gateway");
  auto in_guest = ssh_ready(ssh_into(*netns_, daemon_ssh_key(env()), address),
                            [&] { return console_of(*client_, vm, "fenced") + env().logs(); });

  // The host side's service is up: it answers on its own addresses.
  for (const auto& host_address : {gateway, kUplinkAddress})
    EXPECT_TRUE(poll_until([&] { return netns_->exec("timeout 3 bash -c \"cat </dev/tcp/" + host_address + "/" +
                                                     std::to_string(kPort) + "\" 2>&1").out == "hello\n"; }, 10s))
        << "host side, " << host_address;

  const auto connect = [&](const std::string& to) {
    return in_guest("nc -w 3 " + to + " " + std::to_string(kPort) + " </dev/null").out;
  };
  EXPECT_EQ(connect(kOutsideAddress), "hello\n") << "the guest's TCP works through NAT";
  // Dropped, not refused: nc waits and gives up ("nc: timed out"), never greeted.
  EXPECT_EQ(connect(gateway).find("hello"), std::string::npos) << "the host's service on the gateway";
  EXPECT_EQ(connect(kUplinkAddress).find("hello"), std::string::npos) << "the host's service on its other address";
  EXPECT_NE(in_guest("nc -w 3 " + gateway + " 22 </dev/null").status, 0) << "nor any other port";

  const auto own_name = client_->vm_string(vm, "DNSName");
  const auto looked_up = in_guest("nslookup " + own_name + " " + gateway);
  EXPECT_NE(looked_up.out.find("Address: " + address), std::string::npos) << "DNS through the gateway:\n"
                                                                          << looked_up.out;
  EXPECT_EQ(in_guest("ping -c1 -W2 " + gateway).status, 0) << "echo to the gateway is allowed";

  call(vm, "Stop");
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "stopped", 60s));
  call(vm, "Delete");
}

}  // namespace
}  // namespace banger::test
