// Port forwards to a real guest: the real bangerd (QEMU backend, the default
// image) in a network namespace of this suite's own (its "host"), with an
// "outside" namespace on a veth pair standing in for the world. A busybox
// httpd in the guest serves a page; ForwardPort must make it reachable on the
// host's loopback and on the host's address, from the host and from outside,
// RemoveForward must cut it off again, and a restart of bangerd must keep it.
#include <chrono>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "bangerd_netns.h"
#include "default_image.h"
#include "guest_shell.h"
#include "test_support.h"

namespace banger::test {
namespace {

const std::string kPage = "banger-forward-page";
constexpr std::uint16_t kGuestPort = 8000;

using Forwards = std::vector<sdbus::Struct<std::string, std::uint16_t, std::uint16_t>>;

// GET / from address:port; the body, or "" when nothing answered.
std::string fetch_command(const std::string& address, std::uint16_t port) {
  return "python3 -c 'import urllib.request; print(urllib.request.urlopen(\"http://" + address + ":" +
         std::to_string(port) + "/\", timeout=3).read().decode().strip())' 2>/dev/null";
}

class GuestForward : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"nft", "python3", "ssh"}, .devices = {"/dev/net/tun"}})) return;
    join_outside();
    ClientTest::SetUpTestSuite();
  }

  // The suite's guest, booted on first use with httpd serving kPage.
  void boot_guest() {
    if (!vm_.empty()) return;
    ASSERT_TRUE(boot_failure_.empty()) << "booting the guest failed before: " << boot_failure_;
    boot_failure_ = "see the first test that booted it";
    if (auto why = ssh_unavailable(daemon_ssh_key(env()))) GTEST_SKIP() << *why;
    auto image = build_and_import_default_image(env());
    ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
    const auto path = client_->create_ready(*recorder_, "fwd-a", {{"memory", sdbus::Variant(256u)}});
    call(path, "Start");
    ASSERT_TRUE(client_->wait_state(*recorder_, path, "running", 60s)) << client_->vm_string(path, "LastError");
    address_ = client_->vm_string(path, "IPv4Address");
    auto in_guest = ssh_ready(ssh_into(*netns_, daemon_ssh_key(env()), address_),
                              [&] { return console_of(*client_, path, "fwd-a"); });
    const auto served = in_guest("mkdir -p /tmp/www && echo " + kPage +
                                 " > /tmp/www/index.html && httpd -p " + std::to_string(kGuestPort) + " -h /tmp/www");
    ASSERT_EQ(served.status, 0) << served.out;
    ASSERT_TRUE(poll_until([&] { return fetched_from(*netns_, address_, kGuestPort); }, 20s))
        << "the guest's httpd does not answer directly";
    vm_ = path;
    boot_failure_.clear();
  }

  static bool fetched_from(const ScopedNetns& ns, const std::string& address, std::uint16_t port) {
    return ns.exec(fetch_command(address, port)).out == kPage + "\n";
  }

  sdbus::IProxy& vm() {
    proxy_ = sdbus::createProxy(*connection_, kService, vm_);
    return *proxy_;
  }
  void forward(std::uint16_t host_port, const std::string& protocol = "tcp", const std::string& path = "") {
    auto proxy = sdbus::createProxy(*connection_, kService, path.empty() ? vm_ : path);
    proxy->callMethod("ForwardPort").onInterface(kVm).withArguments(protocol, host_port, kGuestPort);
  }
  void unforward(std::uint16_t host_port) {
    vm().callMethod("RemoveForward").onInterface(kVm).withArguments(std::string("tcp"), host_port);
  }
  Forwards forwards() { return vm().getProperty("Forwards").onInterface(kVm).get<Forwards>(); }

  static inline std::string vm_, address_, boot_failure_;
  std::unique_ptr<sdbus::IProxy> proxy_;
};

TEST_F(GuestForward, AForwardReachesTheGuestFromLoopbackTheHostAddressAndOutsideUntilRemoved) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  constexpr std::uint16_t port = 18080;
  EXPECT_FALSE(fetched_from(*netns_, "127.0.0.1", port)) << "nothing answers before the forward";
  const auto seen = recorder_->generation();
  forward(port);
  EXPECT_EQ(forwards(), (Forwards{{"tcp", port, kGuestPort}}));
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) {
    return s.member == "PropertiesChanged" && s.path == vm_ && s.properties.contains("Forwards");
  })) << "PropertiesChanged(Forwards) after generation " << seen;

  EXPECT_TRUE(fetched_from(*netns_, "127.0.0.1", port)) << "host loopback";
  EXPECT_TRUE(fetched_from(*netns_, kUplinkAddress, port)) << "the host's address, from the host";
  EXPECT_TRUE(fetched_from(*outside_, kUplinkAddress, port)) << "the host's address, from outside";

  unforward(port);
  EXPECT_EQ(forwards(), Forwards{});
  EXPECT_FALSE(fetched_from(*netns_, "127.0.0.1", port));
  EXPECT_FALSE(fetched_from(*outside_, kUplinkAddress, port));
  EXPECT_TRUE(fetched_from(*netns_, address_, kGuestPort)) << "the guest itself still serves";
}

TEST_F(GuestForward, PrivilegedTakenAndForwardedPortsAreRefused) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  auto error = error_of([&] { forward(80); });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->getName(), "org.freedesktop.DBus.Error.InvalidArgs") << error->getMessage();
  EXPECT_NE(error->getMessage().find("1024"), std::string::npos) << error->getMessage();

  // A host program listening on the port (in bangerd's namespace).
  const auto listener = netns_->exec(
      "timeout 60 python3 -c 'import socket, time\ns = socket.socket(); s.bind((\"0.0.0.0\", 18081)); "
      "s.listen(1); time.sleep(60)' >/dev/null 2>&1 & echo $!");
  ASSERT_TRUE(poll_until([&] { return netns_->exec("ss -Hltn 'sport = :18081'").out.find("18081") != std::string::npos; },
                         10s));
  error = error_of([&] { forward(18081); });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->getName(), "dev.banger.banger1.Error.Busy") << error->getMessage();
  EXPECT_NE(error->getMessage().find("18081"), std::string::npos) << error->getMessage();
  netns_->exec("kill " + listener.out);

  // Another VM's forward (that VM need not run).
  const auto other = client_->create_ready(*recorder_, "fwd-b", {{"memory", sdbus::Variant(256u)}});
  forward(18082);
  error = error_of([&] { forward(18082, "tcp", other); });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->getName(), "dev.banger.banger1.Error.Exists") << error->getMessage();
  EXPECT_NE(error->getMessage().find("fwd-a"), std::string::npos) << error->getMessage();
  unforward(18082);
  client_->vm_call(other, "Delete");
  EXPECT_EQ(forwards(), Forwards{});
}

TEST_F(GuestForward, ARestartOfBangerdKeepsTheForwardWorking) {
  ASSERT_NO_FATAL_FAILURE(boot_guest());
  constexpr std::uint16_t port = 18083;
  forward(port);
  ASSERT_TRUE(fetched_from(*netns_, "127.0.0.1", port));
  env().restart_daemon();
  connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
  EXPECT_EQ(forwards(), (Forwards{{"tcp", port, kGuestPort}}));
  EXPECT_TRUE(fetched_from(*netns_, "127.0.0.1", port));
  EXPECT_TRUE(fetched_from(*outside_, kUplinkAddress, port));
  // The restarted bangerd holds the port again.
  EXPECT_NE(netns_->exec("python3 -c 'import socket; socket.socket().bind((\"0.0.0.0\", " + std::to_string(port) +
                         "))' 2>/dev/null").status,
            0);
  unforward(port);
  EXPECT_FALSE(fetched_from(*netns_, "127.0.0.1", port));
}

}  // namespace
}  // namespace banger::test
