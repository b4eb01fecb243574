// The per-VM network capabilities (address, tap, NAT) and the store-backed
// VmAttachments they read, against a real store and fake host taps.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "capabilities/nat_access.h"
#include "capabilities/network_address.h"
#include "capabilities/tap_device.h"
#include "core/ids.h"
#include "core/stored_attachments.h"
#include "error_kind.h"
#include "net/taps.h"
#include "network_fixtures.h"
#include "recording_events.h"
#include "store/sqlite_store.h"
#include "store_fixtures.h"

namespace banger {
namespace {

using testing::FakeHostNetworks;
using testing::FakeHostTaps;
using testing::kind_of;
using testing::RecordingNetworkEvents;

// The guards of the host's filter, by tap.
struct RecordingTapGuards : HostTapGuards {
  std::map<std::string, TapGuard> guards;
  void guard(const TapGuard& g) override { guards[g.tap] = g; }
  void unguard(const std::string& tap) override { guards.erase(tap); }
  void guard_only(const std::vector<TapGuard>& list) override {
    guards.clear();
    for (const auto& g : list) guards[g.tap] = g;
  }
};

struct NetworkCapabilitiesTest : ::testing::Test {
  SqliteStore store{":memory:"};
  FakeHostNetworks host;
  RecordingNetworkEvents events;
  NetworkManager networks{{store, host, events}, "10.219.0.0/24"};
  StoredAttachments attachments{store, store};
  FakeHostTaps taps;
  NetworkAddress address{networks};
  RecordingTapGuards guards;
  TapDevice tap{attachments, taps, [](const VmRecord&) -> uid_t { return 4242; }, &guards};
  testing::NullProgress progress;

  void SetUp() override { networks.start(); }

  // A VM row on `network`, provisioned (leased) as CreateVM does.
  VmRecord created(const std::string& name, const std::string& network = "default") {
    VmRecord vm = testing::make_vm(new_vm_id(), name);
    vm.network = network;
    address.check_create(vm);
    store.insert_vm(vm);
    address.provision(vm, progress);
    return vm;
  }
};

TEST_F(NetworkCapabilitiesTest, CreateRefusesAMissingNetworkBeforeAnythingExists) {
  VmRecord vm = testing::make_vm(new_vm_id(), "web");
  vm.network = "nope";
  EXPECT_EQ(kind_of([&] { address.check_create(vm); }), ErrorKind::no_such_network);
}

TEST_F(NetworkCapabilitiesTest, EachVmLeasesOneStableAddressUntilItIsDeleted) {
  auto a = created("web");
  auto b = created("db");
  auto att_a = attachments.attachment_of(a);
  auto att_b = attachments.attachment_of(b);
  ASSERT_TRUE(att_a && att_b);
  EXPECT_EQ(att_a->address, "10.219.0.2");
  EXPECT_EQ(att_b->address, "10.219.0.3");
  EXPECT_EQ(att_a->dns_name, "web.banger");
  EXPECT_EQ(att_a->network.bridge, "bg-default");

  address.provision(a, progress);  // a second start or provision keeps the address
  EXPECT_EQ(attachments.attachment_of(a)->address, "10.219.0.2");
  address.cleanup(a, CleanupReason::stopped);
  EXPECT_EQ(attachments.attachment_of(a)->address, "10.219.0.2") << "a stopped VM keeps its address";

  address.cleanup(a, CleanupReason::deleted);
  EXPECT_FALSE(attachments.attachment_of(a));
  auto c = created("cache");
  EXPECT_EQ(attachments.attachment_of(c)->address, "10.219.0.2") << "a released address is reused";
}

TEST_F(NetworkCapabilitiesTest, DnsEntriesListTheNetworksVmsUnderTheirCurrentNames) {
  auto a = created("web");
  created("db");
  a.name = "frontend";
  store.update_vm(a);
  std::map<std::string, std::string> entries;
  for (const auto& e : attachments.dns_entries("default")) entries[e.name] = e.address;
  EXPECT_EQ(entries, (std::map<std::string, std::string>{{"frontend", "10.219.0.2"}, {"db", "10.219.0.3"}}));
  EXPECT_TRUE(attachments.dns_entries("nope").empty());
}

TEST_F(NetworkCapabilitiesTest, AVmWithoutANetworkGetsNoAttachmentNoTapAndNoGuestAddress) {
  VmRecord vm = testing::make_vm(new_vm_id(), "old");
  store.insert_vm(vm);  // network '' as for VMs made before networks
  address.provision(vm, progress);
  EXPECT_FALSE(attachments.attachment_of(vm));
  tap.prepare_host(vm);
  GuestConfig guest;
  MachineConfig machine;
  tap.contribute_guest(vm, guest);
  tap.contribute_machine(vm, machine);
  EXPECT_TRUE(taps.taps.empty());
  EXPECT_TRUE(guest.values.empty());
  EXPECT_TRUE(machine.interfaces.empty());
}

TEST_F(NetworkCapabilitiesTest, TheTapLivesWhileTheVmRunsAndCarriesTheGuestsSettings) {
  auto vm = created("web");
  const auto name = net::tap_name_for(vm.id);
  tap.prepare_host(vm);
  ASSERT_TRUE(taps.taps.contains(name));
  EXPECT_EQ(taps.taps.at(name).bridge, "bg-default");
  EXPECT_EQ(taps.taps.at(name).owner, 4242u);

  GuestConfig guest;
  MachineConfig machine;
  tap.contribute_guest(vm, guest);
  tap.contribute_machine(vm, machine);
  EXPECT_EQ(guest.values.at("ip"), "10.219.0.2/24");
  EXPECT_EQ(guest.values.at("gw"), "10.219.0.1");
  EXPECT_EQ(guest.values.at("dns"), "10.219.0.1");
  ASSERT_EQ(machine.interfaces.size(), 1u);
  EXPECT_EQ(machine.interfaces[0].id, "eth0");
  EXPECT_EQ(machine.interfaces[0].tap, name);
  EXPECT_EQ(machine.interfaces[0].mac, net::mac_for(vm.id));

  tap.cleanup(vm, CleanupReason::stopped);
  EXPECT_FALSE(taps.taps.contains(name));
  tap.cleanup(vm, CleanupReason::deleted);  // idempotent
}

// Issue 17, finding 6: the tap passes only the VM's own MAC and address; on
// the shared default network its port is kept apart from the other guests',
// on a network users made the guests share the bridge.
TEST_F(NetworkCapabilitiesTest, EachTapIsGuardedWhileItLivesAndIsolatedOnlyOnTheDefaultNetwork) {
  NetworkSpec team;
  team.name = "team";
  networks.create(team);
  auto on_default = created("web");
  auto on_team = created("db", "team");
  tap.prepare_host(on_default);
  tap.prepare_host(on_team);
  const auto default_tap = net::tap_name_for(on_default.id), team_tap = net::tap_name_for(on_team.id);
  ASSERT_TRUE(guards.guards.contains(default_tap) && guards.guards.contains(team_tap));
  EXPECT_EQ(guards.guards.at(default_tap),
            (TapGuard{default_tap, net::mac_for(on_default.id), attachments.attachment_of(on_default)->address, true}));
  EXPECT_EQ(guards.guards.at(team_tap),
            (TapGuard{team_tap, net::mac_for(on_team.id), attachments.attachment_of(on_team)->address, false}));

  tap.cleanup(on_default, CleanupReason::stopped);
  EXPECT_FALSE(guards.guards.contains(default_tap));
  // Recovery: the guards of the VMs that still run, and no other.
  guards.guards[default_tap] = {};
  tap.guard_only({on_team});
  EXPECT_EQ(guards.guards.size(), 1u);
  EXPECT_TRUE(guards.guards.contains(team_tap));
}

TEST_F(NetworkCapabilitiesTest, RecoveryRemovesOnlyTheTapsNoRunningVmKeeps) {
  auto running = created("web");
  auto stopped = created("db");
  tap.prepare_host(running);
  tap.prepare_host(stopped);
  EXPECT_EQ(tap.remove_strays({net::tap_name_for(running.id)}), 1);
  EXPECT_TRUE(taps.taps.contains(net::tap_name_for(running.id)));
  EXPECT_FALSE(taps.taps.contains(net::tap_name_for(stopped.id)));
}

TEST_F(NetworkCapabilitiesTest, ATapFailureFailsTheStartWithTheHostsReason) {
  auto vm = created("web");
  taps.fail_create = true;
  EXPECT_EQ(kind_of([&] { tap.prepare_host(vm); }), ErrorKind::backend_failed);
}

TEST_F(NetworkCapabilitiesTest, NatTurnsForwardingBackOnForVmsOnNatNetworksOnly) {
  testing::TempDir dir;
  const auto forwarding = dir.file("ip_forward");
  NatAccess nat{attachments, networks, forwarding.string()};
  auto write = [&](const char* value) { std::ofstream(forwarding) << value << '\n'; };
  auto read = [&] {
    std::string value;
    std::ifstream(forwarding) >> value;
    return value;
  };

  NetworkSpec isolated;
  isolated.name = "lab";
  isolated.nat = false;
  networks.create(isolated);
  write("0");
  nat.prepare_host(created("inside", "lab"));
  EXPECT_EQ(read(), "0") << "a host-only network needs no forwarding";

  std::vector<DoctorCheck> checks;
  nat.add_doctor_checks(checks);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].status, "warn");

  nat.prepare_host(created("web"));
  EXPECT_EQ(read(), "1");
  checks.clear();
  nat.add_doctor_checks(checks);
  EXPECT_EQ(checks[0].status, "ok");
}

}  // namespace
}  // namespace banger
