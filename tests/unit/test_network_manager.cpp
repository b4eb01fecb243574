#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "error_kind.h"
#include "core/errors.h"
#include "core/network_manager.h"
#include "core/ipv4.h"
#include "network_fixtures.h"
#include "store/sqlite_store.h"

namespace banger {
namespace {

using testing::FakeHostNetworks;
using testing::RecordingNetworkEvents;

VmRecord make_vm(const std::string& id) {
  VmRecord vm;
  vm.id = id;
  vm.name = "vm-" + id;
  vm.image = "img";
  vm.created_at_us = vm.updated_at_us = 1;
  return vm;
}

using testing::kind_of;

NetworkSpec spec(std::string name, std::string subnet = {}, bool nat = true) {
  NetworkSpec s;
  s.name = std::move(name);
  s.subnet = std::move(subnet);
  s.nat = nat;
  return s;
}

struct NetworkManagerTest : ::testing::Test {
  SqliteStore store{":memory:"};
  FakeHostNetworks host;
  RecordingNetworkEvents events;
  NetworkManager networks{{store, host, events}, "10.219.0.0/24"};

  void add_vms(int count) {
    for (int i = 0; i < count; ++i) store.insert_vm(make_vm("vm" + std::to_string(i)));
  }
};

TEST(NetworkValidation, NamesAreShortDnsLabels) {
  for (const char* good : {"default", "a", "lab-2", "abcdefghijkl"}) EXPECT_NO_THROW(validate_network_name(good)) << good;
  for (const char* bad : {"", "-lab", "lab-", "Lab", "la_b", "la.b", "abcdefghijklm", "lab 2"})
    EXPECT_EQ(kind_of([&] { validate_network_name(bad); }), ErrorKind::invalid_args) << bad;
}

TEST(NetworkValidation, OptionsAreTypedAndKnown) {
  auto s = parse_network_options("lab", {{"subnet", std::string("10.5.0.0/24")}, {"nat", false},
                                         {"dns_domain", std::string("lab.example")}});
  EXPECT_EQ(s.subnet, "10.5.0.0/24");
  EXPECT_FALSE(s.nat);
  EXPECT_EQ(s.dns_domain, "lab.example");
  EXPECT_TRUE(parse_network_options("lab", {}).nat);
  EXPECT_EQ(parse_network_options("lab", {}).dns_domain, "banger");
  const std::vector<OptionMap> bad{{{"nat", std::string("yes")}},
                                   {{"subnet", std::uint32_t{5}}},
                                   {{"dns_domain", std::string("bad..domain")}},
                                   {{"dns_domain", std::string("-x")}},
                                   {{"colour", std::string("red")}}};
  for (const auto& options : bad)
    EXPECT_EQ(kind_of([&] { parse_network_options("lab", options); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { parse_network_options("Bad_Name", {}); }), ErrorKind::invalid_args);
}

TEST_F(NetworkManagerTest, StartMakesTheDefaultNetworkOnceAndAppliesEverything) {
  networks.start();
  auto d = networks.get("default");
  EXPECT_EQ(d.subnet, "10.219.0.0/24");
  EXPECT_EQ(d.gateway, "10.219.0.1");
  EXPECT_EQ(d.bridge, "bg-default");
  EXPECT_TRUE(d.nat);
  EXPECT_EQ(d.dns_domain, "banger");
  EXPECT_EQ(host.bridges.at("bg-default"), "10.219.0.1/24");
  EXPECT_EQ(host.nat, std::vector<std::string>{"bg-default"});

  host.bridges.clear();  // as after a reboot
  networks.start();
  EXPECT_EQ(networks.list().size(), 1u);
  EXPECT_EQ(host.bridges.at("bg-default"), "10.219.0.1/24") << "start-up re-applies the stored networks";
  EXPECT_EQ(events.seen, std::vector<std::string>{"added default"});
}

TEST_F(NetworkManagerTest, DefaultNetworkAvoidsHostRoutes) {
  host.routes = {*net::parse_cidr("10.219.0.0/23"), *net::parse_cidr("10.219.2.128/25"), *net::parse_cidr("0.0.0.0/0")};
  networks.start();
  EXPECT_EQ(networks.get("default").subnet, "10.219.3.0/24")
      << "the first /24 that no host route covers; the default route does not count";
}

TEST_F(NetworkManagerTest, DefaultNetworkWithEveryCandidateTakenIsLeftOutAndLogged) {
  host.routes = {*net::parse_cidr("10.0.0.0/8")};
  EXPECT_NO_THROW(networks.start());
  EXPECT_TRUE(networks.list().empty());
  EXPECT_EQ(kind_of([&] { networks.create(spec("auto")); }), ErrorKind::resource_exhausted);
}

TEST_F(NetworkManagerTest, StartSurvivesHostFailures) {
  networks.start();
  host.fail_bridge = true;
  host.fail_nat = true;
  EXPECT_NO_THROW(networks.start());
  EXPECT_EQ(networks.list().size(), 1u);
}

TEST_F(NetworkManagerTest, CreateValidatesOverlapAndHostRoutes) {
  networks.start();
  auto lab = networks.create(spec("lab", "10.50.0.0/24", false));
  EXPECT_EQ(lab.gateway, "10.50.0.1");
  EXPECT_EQ(host.bridges.at("bg-lab"), "10.50.0.1/24");
  EXPECT_EQ(host.nat, std::vector<std::string>{"bg-default"}) << "NAT off: not masqueraded";

  EXPECT_EQ(kind_of([&] { networks.create(spec("lab", "10.51.0.0/24")); }), ErrorKind::exists);
  EXPECT_EQ(kind_of([&] { networks.create(spec("lab2", "10.50.0.0/16")); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { networks.create(spec("lab2", "10.219.0.128/25")); }), ErrorKind::invalid_args);
  host.routes = {*net::parse_cidr("192.168.1.0/24")};
  EXPECT_EQ(kind_of([&] { networks.create(spec("lab2", "192.168.0.0/16")); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { networks.create(spec("UPPER")); }), ErrorKind::invalid_args);
  EXPECT_EQ(networks.list().size(), 2u);
}

TEST_F(NetworkManagerTest, CreateWithoutSubnetTakesTheNextFreeBlock) {
  networks.start();
  networks.create(spec("lab", "10.219.1.0/24"));
  EXPECT_EQ(networks.create(spec("auto")).subnet, "10.219.2.0/24");
}

TEST_F(NetworkManagerTest, FailedHostSetupLeavesNothing) {
  networks.start();
  host.fail_bridge = true;
  EXPECT_EQ(kind_of([&] { networks.create(spec("lab", "10.50.0.0/24")); }), ErrorKind::backend_failed);
  host.fail_bridge = false;
  host.fail_nat = true;
  EXPECT_EQ(kind_of([&] { networks.create(spec("lab", "10.50.0.0/24")); }), ErrorKind::backend_failed);
  host.fail_nat = false;
  EXPECT_EQ(networks.list().size(), 1u);
  EXPECT_FALSE(host.bridges.contains("bg-lab"));
  EXPECT_NO_THROW(networks.create(spec("lab", "10.50.0.0/24"))) << "name and subnet are free again";
}

TEST_F(NetworkManagerTest, SetNatRebuildsTheTableAndRollsBackOnFailure) {
  networks.start();
  networks.create(spec("lab", "10.50.0.0/24", false));
  events.seen.clear();
  EXPECT_TRUE(networks.set_nat("lab", true).nat);
  EXPECT_EQ(host.nat, (std::vector<std::string>{"bg-default", "bg-lab"}));
  EXPECT_EQ(events.seen, std::vector<std::string>{"changed lab nat=1 leases=0"});
  const int applied = host.nat_applied;
  networks.set_nat("lab", true);
  EXPECT_EQ(host.nat_applied, applied) << "no change, no rebuild";
  host.fail_nat = true;
  EXPECT_EQ(kind_of([&] { networks.set_nat("lab", false); }), ErrorKind::backend_failed);
  EXPECT_TRUE(networks.get("lab").nat);
  EXPECT_EQ(kind_of([&] { networks.set_nat("nope", false); }), ErrorKind::no_such_network);
}

TEST_F(NetworkManagerTest, LeasesAreLowestFreeStableAndReleased) {
  networks.start();
  add_vms(3);
  events.seen.clear();
  EXPECT_EQ(networks.lease("default", "vm0"), "10.219.0.2");
  EXPECT_EQ(networks.lease("default", "vm1"), "10.219.0.3");
  EXPECT_EQ(networks.lease("default", "vm0"), "10.219.0.2") << "the same VM keeps its address";
  networks.release("vm0");
  EXPECT_EQ(events.seen, (std::vector<std::string>{"changed default nat=1 leases=1", "changed default nat=1 leases=2",
                                                   "changed default nat=1 leases=1"}))
      << "the Leases property follows every change, and only changes";
  EXPECT_EQ(networks.lease("default", "vm2"), "10.219.0.2") << "a released address is the lowest free again";
  EXPECT_EQ(networks.get("default").leases,
            (std::map<std::string, std::string>{{"vm1", "10.219.0.3"}, {"vm2", "10.219.0.2"}}));
  EXPECT_EQ(kind_of([&] { networks.lease("default", "no-such-vm"); }), ErrorKind::no_such_vm);
  EXPECT_EQ(kind_of([&] { networks.lease("nope", "vm1"); }), ErrorKind::no_such_network);
}

TEST_F(NetworkManagerTest, LeasesSurviveAReopenAndGoWithTheVm) {
  const auto file = std::filesystem::temp_directory_path() / ("banger-leases-" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(file);
  {
    SqliteStore disk(file);
    NetworkManager m{{disk, host, events}, "10.219.0.0/24"};
    m.start();
    disk.insert_vm(make_vm("a"));
    disk.insert_vm(make_vm("b"));
    m.lease("default", "a");
    EXPECT_EQ(m.lease("default", "b"), "10.219.0.3");
  }
  {
    SqliteStore disk(file);
    NetworkManager m{{disk, host, events}, "10.219.0.0/24"};
    m.start();
    EXPECT_EQ(m.lease("default", "b"), "10.219.0.3");
    disk.delete_vm("a");
    EXPECT_EQ(m.get("default").leases.count("a"), 0u) << "ON DELETE CASCADE";
  }
  std::filesystem::remove(file);
}

TEST_F(NetworkManagerTest, ExhaustionIsResourceExhausted) {
  networks.start();
  networks.create(spec("tiny", "10.60.0.0/29"));
  add_vms(6);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(networks.lease("tiny", "vm" + std::to_string(i)), "10.60.0." + std::to_string(i + 2));
  EXPECT_EQ(kind_of([&] { networks.lease("tiny", "vm5"); }), ErrorKind::resource_exhausted);
  EXPECT_EQ(networks.get("tiny").leases.size(), 5u);
}

TEST_F(NetworkManagerTest, DeleteIsRefusedWhileLeasedAndForTheDefault) {
  networks.start();
  networks.create(spec("lab", "10.50.0.0/24"));
  add_vms(1);
  networks.lease("lab", "vm0");
  try {
    networks.remove("lab");
    ADD_FAILURE() << "deleted a network in use";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::busy);
    EXPECT_NE(std::string(e.what()).find("vm-vm0"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(host.bridges.contains("bg-lab"));
  networks.release("vm0");
  events.seen.clear();
  networks.remove("lab");
  EXPECT_FALSE(host.bridges.contains("bg-lab"));
  EXPECT_EQ(host.nat, std::vector<std::string>{"bg-default"});
  EXPECT_EQ(events.seen, std::vector<std::string>{"removed lab"});
  EXPECT_EQ(kind_of([&] { networks.remove("lab"); }), ErrorKind::no_such_network);
  EXPECT_EQ(kind_of([&] { networks.remove("default"); }), ErrorKind::invalid_state);
}

TEST(NetworkManagerConfig, RejectsABadDefaultSubnet) {
  SqliteStore store{":memory:"};
  FakeHostNetworks host;
  RecordingNetworkEvents events;
  EXPECT_EQ(kind_of([&] { NetworkManager m({store, host, events}, "8.8.8.0/24"); }), ErrorKind::invalid_args);
}

}  // namespace
}  // namespace banger
