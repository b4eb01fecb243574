// PortForwards: stored forwards, their rules while the VM runs, held host
// ports and automatic forwarding, against a real store and real port
// reservations (bound sockets), with the rules recorded instead of applied.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <stdexcept>

#include "capabilities/network_address.h"
#include "capabilities/port_forwards.h"
#include "core/ids.h"
#include "core/stored_attachments.h"
#include "error_kind.h"
#include "net/port_reservation.h"
#include "network_fixtures.h"
#include "recording_events.h"
#include "store/sqlite_store.h"
#include "store_fixtures.h"

namespace banger {
namespace {

using testing::error_message_of;
using testing::kind_of;

// A TCP port nothing on this host holds right now (the kernel's pick).
std::uint16_t free_tcp_port() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind");
  socklen_t len = sizeof a;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// Whether a host program could bind the port now.
bool bindable(std::uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  return bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

struct RecordingForwardEvents final : ForwardEvents {
  std::map<std::string, std::vector<PortForward>> last;
  int calls = 0;
  void forwards_changed(const std::string& vm_id, const std::vector<PortForward>& forwards) override {
    last[vm_id] = forwards;
    ++calls;
  }
};

struct PortForwardsTest : ::testing::Test {
  SqliteStore store{":memory:"};
  testing::FakeHostNetworks host;
  testing::RecordingNetworkEvents network_events;
  NetworkManager networks{{store, host, network_events}, "10.219.0.0/24"};
  StoredAttachments attachments{store, store};
  NetworkAddress address{networks};
  testing::NullProgress progress;
  RecordingForwardEvents events;
  std::vector<ForwardRule> rules;
  int applied = 0;
  bool fail_apply = false;
  PortForwards forwards{{store, attachments, events,
                         [this](const std::vector<ForwardRule>& r) {
                           if (fail_apply) throw Error(ErrorKind::backend_failed, "nft says no");
                           rules = r;
                           ++applied;
                         },
                         reserve_host_port}};
  std::uint16_t port = free_tcp_port();

  void SetUp() override { networks.start(); }

  VmRecord created(const std::string& name) {
    VmRecord vm = testing::make_vm(new_vm_id(), name);
    vm.network = "default";
    address.check_create(vm);
    store.insert_vm(vm);
    address.provision(vm, progress);
    return vm;
  }
  VmRecord running(const std::string& name) {
    VmRecord vm = created(name);
    vm.state = VmState::running;
    store.update_vm(vm);
    forwards.post_start(vm);
    return vm;
  }
  std::string address_of(const VmRecord& vm) { return attachments.attachment_of(vm)->address; }
};

TEST_F(PortForwardsTest, AForwardOnARunningVmIsARuleAndHoldsTheHostPort) {
  auto vm = running("web");
  auto listed = forwards.add(vm, "tcp", port, 80);
  ASSERT_EQ(listed, (std::vector<PortForward>{{"tcp", port, 80, false}}));
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].protocol, "tcp");
  EXPECT_EQ(rules[0].host_port, port);
  EXPECT_EQ(rules[0].guest_address, address_of(vm));
  EXPECT_EQ(rules[0].guest_port, 80);
  EXPECT_EQ(rules[0].bridge, networks.list().front().bridge);
  EXPECT_FALSE(bindable(port)) << "the host port is held while the forward is active";
  EXPECT_EQ(events.last[vm.id], listed);
}

TEST_F(PortForwardsTest, AStoppedVmKeepsItsForwardWithoutARuleUntilItStarts) {
  auto vm = created("web");
  forwards.add(vm, "tcp", port, 80);
  EXPECT_TRUE(rules.empty());
  EXPECT_TRUE(bindable(port)) << "held only while the VM runs";
  vm.state = VmState::running;
  forwards.post_start(vm);
  EXPECT_EQ(rules.size(), 1u);
  EXPECT_FALSE(bindable(port));
  forwards.cleanup(vm, CleanupReason::stopped);
  EXPECT_TRUE(rules.empty());
  EXPECT_TRUE(bindable(port));
  EXPECT_EQ(forwards.list(vm.id).size(), 1u) << "a stop keeps manual forwards";
}

TEST_F(PortForwardsTest, AHostPortForwardedToAnotherVmIsExistsNamingIt) {
  auto web = running("web");
  auto db = running("db");
  forwards.add(web, "tcp", port, 80);
  const auto message = error_message_of(ErrorKind::exists, [&] { forwards.add(db, "tcp", port, 5432); });
  EXPECT_NE(message.find("'web'"), std::string::npos) << message;
  EXPECT_TRUE(forwards.list(db.id).empty());
  // The same number over the other protocol is another port.
  EXPECT_NO_THROW(forwards.add(db, "udp", port, 5432));
}

TEST_F(PortForwardsTest, AHostPortAHostProgramHoldsIsBusyAndNothingIsKept) {
  auto vm = running("web");
  auto taken = reserve_host_port("tcp", port);
  const auto message = error_message_of(ErrorKind::busy, [&] { forwards.add(vm, "tcp", port, 80); });
  EXPECT_NE(message.find(std::to_string(port)), std::string::npos) << message;
  EXPECT_TRUE(forwards.list(vm.id).empty());
  EXPECT_TRUE(rules.empty());
  // Also refused for a stopped VM: the port is probed at once.
  auto stopped = created("db");
  EXPECT_EQ(kind_of([&] { forwards.add(stopped, "tcp", port, 80); }), ErrorKind::busy);
}

TEST_F(PortForwardsTest, BadPortsAndProtocolsAreInvalidArgs) {
  auto vm = running("web");
  EXPECT_EQ(kind_of([&] { forwards.add(vm, "sctp", port, 80); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { forwards.add(vm, "tcp", 0, 80); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { forwards.add(vm, "tcp", port, 0); }), ErrorKind::invalid_args);
  const auto message = error_message_of(ErrorKind::invalid_args, [&] { forwards.add(vm, "tcp", 80, 80); });
  EXPECT_NE(message.find("1024"), std::string::npos) << message;
  EXPECT_NO_THROW(forwards.add(vm, "tcp", port, 1)) << "any guest port is fine";
  EXPECT_EQ(applied, 2) << "post_start, then the one good forward";
}

TEST_F(PortForwardsTest, AVmWithoutANetworkCannotForward) {
  VmRecord vm = testing::make_vm(new_vm_id(), "bare");
  store.insert_vm(vm);
  EXPECT_EQ(kind_of([&] { forwards.add(vm, "tcp", port, 80); }), ErrorKind::invalid_args);
}

TEST_F(PortForwardsTest, RemovingDropsTheRuleAndFreesThePort) {
  auto vm = running("web");
  forwards.add(vm, "tcp", port, 80);
  EXPECT_EQ(kind_of([&] { forwards.remove(vm, "udp", port); }), ErrorKind::invalid_args);
  EXPECT_TRUE(forwards.remove(vm, "tcp", port).empty());
  EXPECT_TRUE(rules.empty());
  EXPECT_TRUE(bindable(port));
  EXPECT_TRUE(events.last[vm.id].empty());
}

TEST_F(PortForwardsTest, ARuleTheKernelRefusesLeavesNothingBehind) {
  auto vm = running("web");
  fail_apply = true;
  EXPECT_EQ(kind_of([&] { forwards.add(vm, "tcp", port, 80); }), ErrorKind::backend_failed);
  EXPECT_TRUE(forwards.list(vm.id).empty());
  EXPECT_TRUE(bindable(port));
}

TEST_F(PortForwardsTest, AutomaticForwardsFollowTheGuestsListeningPorts) {
  auto vm = created("web");
  vm.forward_ports = true;
  store.update_vm(vm);
  vm.state = VmState::running;
  forwards.post_start(vm);
  auto manual = free_tcp_port();
  while (manual == port) manual = free_tcp_port();
  forwards.add(vm, "tcp", manual, 22);

  forwards.guest_ports_changed(vm.id, {{"tcp", 22, "dropbear"}, {"tcp", port, "httpd"}, {"udp", 53, "dnsmasq"}});
  std::vector<PortForward> expected{{"tcp", manual, 22, false}, {"tcp", port, port, true}};
  std::sort(expected.begin(), expected.end());  // the store's order: protocol, then host port
  EXPECT_EQ(forwards.list(vm.id), expected) << "22 is forwarded by hand already, 53 is below 1024";
  EXPECT_EQ(rules.size(), 2u);
  EXPECT_FALSE(bindable(port));

  forwards.guest_ports_changed(vm.id, {});
  EXPECT_EQ(forwards.list(vm.id), (std::vector<PortForward>{{"tcp", manual, 22, false}}))
      << "the guest stopped listening: the automatic forward goes, the manual one stays";
  EXPECT_TRUE(bindable(port));
  EXPECT_EQ(events.last[vm.id], forwards.list(vm.id));
}

TEST_F(PortForwardsTest, NothingIsForwardedAutomaticallyWithTheOptionOff) {
  auto vm = running("web");
  forwards.guest_ports_changed(vm.id, {{"tcp", port, "httpd"}});
  EXPECT_TRUE(forwards.list(vm.id).empty());

  VmRecord on = vm;
  on.forward_ports = true;
  forwards.apply_config_change(vm, on);
  EXPECT_EQ(forwards.list(vm.id), (std::vector<PortForward>{{"tcp", port, port, true}}))
      << "turning it on forwards what the guest listens on already";
  forwards.apply_config_change(on, vm);
  EXPECT_TRUE(forwards.list(vm.id).empty());
  EXPECT_TRUE(bindable(port));
}

TEST_F(PortForwardsTest, AutomaticForwardingSkipsPortsTakenElsewhere) {
  auto web = running("web");
  auto db = created("db");
  db.forward_ports = true;
  store.update_vm(db);
  db.state = VmState::running;
  forwards.post_start(db);
  forwards.add(web, "tcp", port, 80);
  const auto held = free_tcp_port();
  auto taken = reserve_host_port("tcp", held);

  forwards.guest_ports_changed(db.id, {{"tcp", port, ""}, {"tcp", held, ""}});
  EXPECT_TRUE(forwards.list(db.id).empty());
  EXPECT_EQ(forwards.list(web.id).size(), 1u);
}

TEST_F(PortForwardsTest, AStopDropsAutomaticForwards) {
  auto vm = created("web");
  vm.forward_ports = true;
  store.update_vm(vm);
  vm.state = VmState::running;
  forwards.post_start(vm);
  forwards.guest_ports_changed(vm.id, {{"tcp", port, "httpd"}});
  ASSERT_EQ(forwards.list(vm.id).size(), 1u);
  forwards.cleanup(vm, CleanupReason::stopped);
  EXPECT_TRUE(forwards.list(vm.id).empty());
  EXPECT_TRUE(rules.empty());
  // Reports after the stop change nothing.
  forwards.guest_ports_changed(vm.id, {{"tcp", port, "httpd"}});
  EXPECT_TRUE(forwards.list(vm.id).empty());
}

TEST_F(PortForwardsTest, RestoreReactivatesTheForwardsOfRunningVmsOnly) {
  auto web = running("web");
  auto db = created("db");
  const auto other = free_tcp_port();
  forwards.add(web, "tcp", port, 80);
  forwards.add(db, "tcp", other, 5432);
  store.insert_forward(db.id, {"tcp", free_tcp_port(), 9000, true});  // left from a run bangerd missed the end of

  // A new daemon: nothing held, nothing known.
  forwards.cleanup(web, CleanupReason::stopped);
  web.state = VmState::running;
  std::vector<ForwardRule> restored;
  PortForwards fresh{{store, attachments, events,
                      [&](const std::vector<ForwardRule>& r) { restored = r; }, reserve_host_port}};
  fresh.restore({web, db});
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0].host_port, port);
  EXPECT_FALSE(bindable(port));
  EXPECT_TRUE(bindable(other));
  EXPECT_EQ(fresh.list(db.id), (std::vector<PortForward>{{"tcp", other, 5432, false}}));
}

// Each forward holds a host socket in bangerd: one user (or one guest, with
// forward_ports on) must not be able to spend the daemon's descriptors.
TEST_F(PortForwardsTest, ForwardsArePerVmAndPerOwnerCapped) {
  PortForwards capped{{store, attachments, events, [](const std::vector<ForwardRule>&) {}, reserve_host_port,
                       ForwardLimits{.per_vm = 2, .per_owner = 3},
                       [this](std::uint32_t owner) {
                         std::vector<std::string> ids;
                         for (const auto& vm : store.list_vms())
                           if (vm.owner_uid == owner) ids.push_back(vm.id);
                         return ids;
                       }}};
  auto web = created("web");
  auto db = created("db");
  capped.add(web, "tcp", free_tcp_port(), 80);
  capped.add(web, "tcp", free_tcp_port(), 81);
  EXPECT_EQ(kind_of([&] { capped.add(web, "tcp", free_tcp_port(), 82); }), ErrorKind::resource_exhausted);
  EXPECT_NE(error_message_of(ErrorKind::resource_exhausted, [&] { capped.add(web, "tcp", free_tcp_port(), 82); }).find("2 port forwards"),
            std::string::npos);
  capped.add(db, "tcp", free_tcp_port(), 5432);
  EXPECT_EQ(kind_of([&] { capped.add(db, "tcp", free_tcp_port(), 5433); }), ErrorKind::resource_exhausted)
      << "the owner's third forward was the last";

  // A guest listening on many ports gets automatic forwards up to the cap, and no further.
  auto api = created("api");
  api.owner_uid = 4242;
  api.forward_ports = true;
  store.update_vm(api);
  api.state = VmState::running;
  capped.post_start(api);
  std::vector<GuestPort> many;
  for (int i = 0; i < 5; ++i) many.push_back({"tcp", free_tcp_port(), ""});
  std::sort(many.begin(), many.end());
  capped.guest_ports_changed(api.id, many);
  EXPECT_EQ(capped.list(api.id).size(), 2u);
}

TEST_F(PortForwardsTest, DeletingAVmDropsItsForwardsWithItsRow) {
  auto vm = running("web");
  forwards.add(vm, "tcp", port, 80);
  forwards.cleanup(vm, CleanupReason::deleted);
  store.delete_vm(vm.id);
  EXPECT_TRUE(store.list_all_forwards().empty());
  EXPECT_TRUE(bindable(port));
}

}  // namespace
}  // namespace banger
