// Real guests on a real network: the real bangerd (QEMU backend, the default
// image) runs inside a network namespace of this suite's own, as in
// bus-networks-host, so its bridge, taps and nftables table never touch the
// host. An "outside" namespace joined to bangerd's by a veth pair (TEST-NET-2,
// directly connected, with no route back to the VMs' subnet) stands in for
// the world NAT leads to.
//
// Checks that need a way into a guest run commands over SSH with the daemon's
// key and skip until bangerd has one (meanwhile NAT traffic is checked from a
// stand-in namespace on the bridge); the DNS checks skip until a DNS server
// answers on the network's gateway. Both turn on by themselves once those
// capabilities land.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "banger/object_path.h"
#include "bangerd_netns.h"
#include "default_image.h"
#include "guest_shell.h"
#include "test_support.h"

namespace banger::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kBridge = "bg-default";
const std::string kStrayTap = "bgt000000000000";

// A DNS query for `name`'s A records over UDP to `server`; prints one address
// a line. Python, because Debian's DNS tools are not among the test's packages.
constexpr const char* kDnsQuery = R"(
import socket, struct, sys
name, server = sys.argv[1], sys.argv[2]
query = struct.pack(">6H", 0x6267, 0x0100, 1, 0, 0, 0)
query += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">2H", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(query, (server, 53))
reply = s.recv(4096)
def skip_name(at):
    while reply[at] and reply[at] < 0xC0:
        at += reply[at] + 1
    return at + (2 if reply[at] else 1)
at = len(query)
for _ in range(struct.unpack(">H", reply[6:8])[0]):
    at = skip_name(at)
    kind, _, _, length = struct.unpack(">HHIH", reply[at:at + 10])
    at += 10
    if kind == 1:
        print(socket.inet_ntoa(reply[at:at + length]))
    at += length
)";

struct Guest {
  std::string path, name, id, address, mac, tap, dns_name;
};

// The check behind "guests reach each other" and "the outside is reachable":
// one ping from inside a guest, however the test got in.
CommandResult guest_ping(const InGuest& in_guest, const std::string& address) {
  return in_guest("ping -c1 -W2 " + address);
}

class GuestNetwork : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"nft", "ping"}, .devices = {"/dev/net/tun"}})) return;
    join_outside();
    ClientTest::SetUpTestSuite();
  }
  static void TearDownTestSuite() {
    guests_.clear();
    RealGuestTest::TearDownTestSuite();
  }

  // The suite's two guests on the default network, started and answering
  // ping. Booting is the slow part, so they are booted on first use and shared
  // by the tests after it (in declaration order; the last one deletes them).
  void boot_guests() {
    if (!guests_.empty()) return;
    ASSERT_TRUE(boot_failure_.empty()) << "booting the guests failed before: " << boot_failure_;
    boot_failure_ = "see the first test that booted them";
    auto image = build_and_import_default_image(env());
    ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
    std::vector<Guest> booted;
    for (const std::string name : {"net-a", "net-b"}) {
      Guest g;
      g.name = name;
      g.path = client_->create_ready(*recorder_, name, {{"memory", sdbus::Variant(256u)}});
      call(g.path, "Start");
      ASSERT_TRUE(client_->wait_state(*recorder_, g.path, "running", 60s)) << client_->vm_string(g.path, "LastError");
      g.id = client_->vm_string(g.path, "Id");
      g.address = client_->vm_string(g.path, "IPv4Address");
      g.mac = client_->vm_string(g.path, "MACAddress");
      g.tap = client_->vm_string(g.path, "TapDevice");
      g.dns_name = client_->vm_string(g.path, "DNSName");
      booted.push_back(g);
    }
    // The guest's init sets its address only after the kernel booted, and
    // Start may return before that.
    for (const auto& g : booted)
      ASSERT_TRUE(pings_from_namespace(g.address, 60s))
          << g.name << " never answered ping at " << g.address << "\n"
          << console_of(g) << env().logs();
    guests_ = booted;
    boot_failure_.clear();
  }

  void set_nat(bool nat) {
    auto network = sdbus::createProxy(*connection_, kService, bus::network_path("default"));
    network->callMethod("SetNAT").onInterface(bus::network_interface).withArguments(nat);
  }
  std::string network_string(const std::string& property) {
    return to_string(client_->property(bus::network_path("default"), bus::network_interface, property));
  }
  std::map<std::string, std::string> leases() {
    auto network = sdbus::createProxy(*connection_, kService, bus::network_path("default"));
    return network->getProperty("Leases").onInterface(bus::network_interface).get<std::map<std::string, std::string>>();
  }

  std::string console_of(const Guest& g) { return test::console_of(*client_, g.path, g.name); }

  static bool pings_from_namespace(const std::string& address, std::chrono::seconds timeout) {
    return poll_until([&] { return netns_->exec("ping -c1 -W2 " + address + " >/dev/null 2>&1").status == 0; },
                      timeout);
  }

  // The names of banger's taps (bgt…) in bangerd's namespace.
  static std::set<std::string> taps() {
    std::set<std::string> names;
    for (const auto& link : json::parse(netns_->exec("ip -j link show").out)) {
      const auto name = link["ifname"].get<std::string>();
      if (name.rfind("bgt", 0) == 0) names.insert(name);
    }
    return names;
  }
  static std::string master_of(const std::string& link) {
    const auto shown = link_in(*netns_, link);
    return shown.is_null() || !shown.contains("master") ? "" : shown["master"].get<std::string>();
  }

  // Why commands cannot be run in the guests yet, or nullopt when they can.
  std::optional<std::string> ssh_unavailable() { return test::ssh_unavailable(daemon_ssh_key(env())); }
  // SSH into `g`, once its server answers (Start may return before it does).
  InGuest ssh_ready(const Guest& g) {
    return test::ssh_ready(ssh_into(*netns_, daemon_ssh_key(env()), g.address),
                           [&] { return " (" + g.name + ")\n" + console_of(g); });
  }

  // Why the DNS checks cannot run yet, or nullopt when a DNS server listens on the gateway.
  std::optional<std::string> dns_unavailable() {
    const auto gateway = network_string("Gateway");
    const auto listening = netns_->exec("ss -Hlnu 'sport = :53'").out;
    if (listening.find(gateway + ":53") == std::string::npos && listening.find("0.0.0.0:53") == std::string::npos)
      return "no DNS server listens on " + gateway + ":53 in bangerd's namespace yet";
    return std::nullopt;
  }

  // Pings the outside from `in_guest` with NAT on, off and on again: the
  // outside has no route back, so only masqueraded pings get their answer.
  void expect_outside_only_through_nat(const InGuest& in_guest) {
    auto ping = guest_ping(in_guest, kOutsideAddress);
    EXPECT_EQ(ping.status, 0) << "NAT on:\n" << ping.out;
    set_nat(false);
    ping = guest_ping(in_guest, kOutsideAddress);
    EXPECT_NE(ping.status, 0) << "NAT off:\n" << ping.out;
    set_nat(true);
    ping = guest_ping(in_guest, kOutsideAddress);
    EXPECT_EQ(ping.status, 0) << "NAT on again:\n" << ping.out;
  }

  static inline std::vector<Guest> guests_;
  static inline std::string boot_failure_;
};

TEST_F(GuestNetwork, GuestsGetTheirTapOnTheBridgeAndTheirAddress) {
  ASSERT_NO_FATAL_FAILURE(boot_guests());
  const auto subnet = network_string("Subnet");
  EXPECT_EQ(taps(), (std::set<std::string>{guests_[0].tap, guests_[1].tap}));
  for (const auto& g : guests_) {
    EXPECT_EQ(g.tap, "bgt" + g.id.substr(0, 12));
    EXPECT_EQ(master_of(g.tap), kBridge) << link_in(*netns_, g.tap).dump();
    EXPECT_TRUE(is_up(link_in(*netns_, g.tap))) << link_in(*netns_, g.tap).dump();
    EXPECT_EQ(client_->vm_string(g.path, "Network"), "default");
    EXPECT_EQ(g.dns_name, g.name + ".banger");
    // The guest answers from the address banger leased, with the MAC banger gave it.
    ASSERT_TRUE(pings_from_namespace(g.address, 5s));
    const auto neighbour = json::parse(netns_->exec("ip -j neigh show " + g.address + " dev " + kBridge).out);
    ASSERT_EQ(neighbour.size(), 1u) << neighbour.dump();
    EXPECT_EQ(neighbour[0].value("lladdr", ""), g.mac) << neighbour.dump();
  }
  EXPECT_NE(guests_[0].address, guests_[1].address);
  EXPECT_NE(guests_[0].mac, guests_[1].mac);
  EXPECT_EQ(leases(), (std::map<std::string, std::string>{{guests_[0].id, guests_[0].address},
                                                          {guests_[1].id, guests_[1].address}}))
      << "subnet " << subnet;
}

// Issue 17, finding 6: the default network is shared by every user's guests,
// so its ports are isolated: each guest reaches the host (gateway, DNS, NAT)
// but no other guest.
TEST_F(GuestNetwork, GuestsOnTheDefaultNetworkReachTheHostButNotEachOther) {
  if (auto why = ssh_unavailable()) GTEST_SKIP() << *why;
  ASSERT_NO_FATAL_FAILURE(boot_guests());
  const auto& a = guests_[0];
  const auto& b = guests_[1];
  const auto gateway = network_string("Gateway");
  auto ping = guest_ping(ssh_ready(a), b.address);
  EXPECT_NE(ping.status, 0) << a.name << " → " << b.name << ":\n" << ping.out;
  ping = guest_ping(ssh_ready(b), a.address);
  EXPECT_NE(ping.status, 0) << b.name << " → " << a.name << ":\n" << ping.out;
  for (const auto& g : {a, b}) {
    ping = guest_ping(ssh_ready(g), gateway);
    EXPECT_EQ(ping.status, 0) << g.name << " → the gateway " << gateway << ":\n" << ping.out;
  }
  const auto hostname = ssh_ready(b)("hostname");
  EXPECT_EQ(hostname.out, b.name + "\n") << "SSH to " << b.address << " reached " << b.name;
}

// Guests on a network users made share it (they chose to), as before.
TEST_F(GuestNetwork, GuestsOnAUserNetworkReachEachOther) {
  if (auto why = ssh_unavailable()) GTEST_SKIP() << *why;
  auto image = build_and_import_default_image(env());
  ASSERT_TRUE(image.ok()) << image.describe();
  auto manager = sdbus::createProxy(*connection_, kService, kRoot);
  sdbus::ObjectPath network;
  manager->callMethod("CreateNetwork").onInterface(kManager).withArguments(std::string("team"), Options{}).storeResultsTo(network);
  std::vector<Guest> team;
  for (const std::string name : {"team-a", "team-b"}) {
    Guest g;
    g.name = name;
    g.path = client_->create_ready(*recorder_, name, {{"memory", sdbus::Variant(256u)},
                                                      {"network", sdbus::Variant(std::string("team"))}});
    call(g.path, "Start");
    ASSERT_TRUE(client_->wait_state(*recorder_, g.path, "running", 60s)) << client_->vm_string(g.path, "LastError");
    g.address = client_->vm_string(g.path, "IPv4Address");
    team.push_back(g);
  }
  for (const auto& g : team) ASSERT_TRUE(pings_from_namespace(g.address, 60s)) << g.name << "\n" << console_of(g);
  auto ping = guest_ping(ssh_ready(team[0]), team[1].address);
  EXPECT_EQ(ping.status, 0) << "team-a → team-b:\n" << ping.out;
  ping = guest_ping(ssh_ready(team[1]), team[0].address);
  EXPECT_EQ(ping.status, 0) << "team-b → team-a:\n" << ping.out;
  for (const auto& g : team) {
    call(g.path, "Kill");
    client_->vm_call(g.path, "Delete");
  }
  manager->callMethod("DeleteNetwork").onInterface(kManager).withArguments(std::string("team"));
}

TEST_F(GuestNetwork, SetNatRebuildsTheMasqueradeWhileGuestsRun) {
  ASSERT_NO_FATAL_FAILURE(boot_guests());
  const std::set<std::string> subnet{network_string("Subnet")};
  // The premise of the traffic check: the outside is there, but has no way back to the guests.
  EXPECT_EQ(netns_->exec("ping -c1 -W2 " + kOutsideAddress + " >/dev/null 2>&1").status, 0);
  EXPECT_NE(outside_->exec("ping -c1 -W1 " + guests_[0].address + " >/dev/null 2>&1").status, 0);

  EXPECT_EQ(masqueraded(*netns_), subnet);
  set_nat(false);
  EXPECT_EQ(masqueraded(*netns_), std::set<std::string>{});
  EXPECT_TRUE(pings_from_namespace(guests_[0].address, 5s)) << "a host-only network still reaches the host";
  set_nat(true);
  EXPECT_EQ(masqueraded(*netns_), subnet);
  EXPECT_EQ(netns_->exec("cat /proc/sys/net/ipv4/ip_forward").out, "1\n");
}

// Until there is a way into the guests, a namespace plugged into the bridge
// with an address of the subnet that IPAM hands out last stands in for one:
// same bridge, same rules, same gateway.
TEST_F(GuestNetwork, StandInGuestReachesTheOutsideOnlyThroughNat) {
  ASSERT_NO_FATAL_FAILURE(boot_guests());
  ASSERT_EQ(network_string("Subnet"), "10.219.0.0/24") << "the stand-in's address below assumes it";
  ScopedNetns stand_in(/*enter=*/false);
  netns_->ip("link add bgx-stand-in type veth peer name eth0 netns " + stand_in.name());
  netns_->ip("link set bgx-stand-in master " + kBridge + " up");
  stand_in.ip("addr add 10.219.0.254/24 dev eth0");
  stand_in.ip("link set eth0 up");
  stand_in.ip("route add default via " + network_string("Gateway"));
  expect_outside_only_through_nat([&](const std::string& command) { return stand_in.exec(command + " 2>&1"); });
}

TEST_F(GuestNetwork, GuestReachesTheOutsideOnlyThroughNat) {
  if (auto why = ssh_unavailable()) GTEST_SKIP() << *why;
  ASSERT_NO_FATAL_FAILURE(boot_guests());
  expect_outside_only_through_nat(ssh_ready(guests_[0]));
}

TEST_F(GuestNetwork, DnsAnswersTheGuestsNames) {
  ASSERT_NO_FATAL_FAILURE(boot_guests());
  if (auto why = dns_unavailable()) GTEST_SKIP() << *why;
  const auto& a = guests_[0];
  const auto& b = guests_[1];
  const auto gateway = network_string("Gateway");
  for (const auto& g : guests_) {
    const auto answer = netns_->exec("python3 -c '" + std::string(kDnsQuery) + "' " + g.dns_name + " " + gateway);
    EXPECT_EQ(answer.out, g.address + "\n") << "host side: " << g.dns_name << " at " << gateway;
  }
  if (auto why = ssh_unavailable()) GTEST_SKIP() << "the host side answered; from a guest: " << *why;
  // busybox asks for A and AAAA and fails when either is not answered, so only the A answer counts.
  const auto looked_up = ssh_ready(a)("nslookup " + b.dns_name);
  EXPECT_NE(looked_up.out.find("Address: " + b.address + "\n"), std::string::npos) << looked_up.out;
}

TEST_F(GuestNetwork, TapsFollowTheVmsAcrossADaemonCrash) {
  ASSERT_NO_FATAL_FAILURE(boot_guests());
  const auto& running = guests_[0];
  const auto& stopped = guests_[1];
  call(stopped.path, "Stop");
  ASSERT_TRUE(client_->wait_state(*recorder_, stopped.path, "stopped", 60s));
  EXPECT_TRUE(link_in(*netns_, stopped.tap).is_null()) << "a stopped VM's tap goes";
  netns_->ip("tuntap add " + kStrayTap + " mode tap");  // as left by a crash

  env().kill_daemon();
  env().start_daemon();
  EXPECT_EQ(client_->vm_string(running.path, "State"), "running") << env().logs();
  EXPECT_EQ(client_->vm_string(stopped.path, "State"), "stopped");
  EXPECT_EQ(taps(), std::set<std::string>{running.tap}) << "the stray and the stopped VM's tap are gone";
  EXPECT_EQ(master_of(running.tap), kBridge);
  EXPECT_TRUE(pings_from_namespace(running.address, 10s)) << "the running guest still answers";
  // A VM started after the restart changes the tap guards: the adopted guest keeps its own.
  call(stopped.path, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, stopped.path, "running", 60s)) << client_->vm_string(stopped.path, "LastError");
  EXPECT_TRUE(pings_from_namespace(running.address, 10s)) << "the adopted guest still answers";
  if (ssh_unavailable()) return;
  auto ping = guest_ping(ssh_ready(running), kOutsideAddress);
  EXPECT_EQ(ping.status, 0) << "NAT still carries the adopted guest's traffic:\n" << ping.out;
}

TEST_F(GuestNetwork, DeletedVmsLeaveNoTapsAndNoLeases) {
  ASSERT_NO_FATAL_FAILURE(boot_guests());
  for (const auto& g : guests_) {
    if (client_->vm_string(g.path, "State") != "stopped") call(g.path, "Kill");
    client_->vm_call(g.path, "Delete");
  }
  guests_.clear();
  EXPECT_EQ(taps(), std::set<std::string>{});
  EXPECT_EQ(leases(), (std::map<std::string, std::string>{}));
}

}  // namespace
}  // namespace banger::test
