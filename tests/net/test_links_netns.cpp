// Bridges, taps, addresses and routes for real, inside a network namespace
// this test makes and removes: the host's own interfaces are never touched.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/ids.h"
#include "core/unique_fd.h"
#include "net/links.h"
#include "net/routes.h"
#include "net/taps.h"
#include "netns.h"

namespace banger::net {
namespace {

using nlohmann::json;

class LinksInNetns : public ::testing::Test {
 protected:
  // Taps are made through /dev/net/tun.
  static std::optional<std::string> unavailable() { return test::netns_unavailable({.devices = {"/dev/net/tun"}}); }

  static void SetUpTestSuite() {
    if (unavailable()) return;
    netns_ = std::make_unique<test::ScopedNetns>();
  }
  static void TearDownTestSuite() { netns_.reset(); }

  void SetUp() override {
    if (auto why = unavailable()) GTEST_SKIP() << *why;
    ASSERT_TRUE(netns_) << "the test namespace was not made";
  }
  void TearDown() override {
    // Each test starts from an empty namespace (only lo).
    for (auto& link : list_links())
      if (link.name != "lo") delete_link(link.name);
  }

  // `ip -j -d link show` / `ip -j addr show` for one device, from iproute2 itself.
  static json ip_link(const std::string& dev) {
    return json::parse(netns_->ip("-j -d link show dev " + dev)).at(0);
  }
  static json ip_addr(const std::string& dev) {
    return json::parse(netns_->ip("-j addr show dev " + dev)).at(0);
  }
  static bool ip_has(const std::string& dev) {
    auto links = json::parse(netns_->ip("-j link show"));
    for (auto& link : links)
      if (link.at("ifname") == dev) return true;
    return false;
  }
  static std::vector<std::string> ipv4_of(const std::string& dev) {
    std::vector<std::string> out;
    auto addr = ip_addr(dev);
    for (auto& a : addr.at("addr_info"))
      if (a.at("family") == "inet") out.push_back(a.at("local").get<std::string>() + "/" + std::to_string(a.at("prefixlen").get<int>()));
    return out;
  }
  static bool up(const json& link) {
    auto flags = link.at("flags");
    return std::find(flags.begin(), flags.end(), "UP") != flags.end();
  }
  static std::optional<LinkInfo> listed(const std::string& name) {
    for (auto& link : list_links())
      if (link.name == name) return link;
    return std::nullopt;
  }
  static ErrorKind failure_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::internal;
  }

  static inline std::unique_ptr<test::ScopedNetns> netns_;
  const Cidr gateway = *parse_cidr("10.77.0.1/24");
};

TEST_F(LinksInNetns, BridgeIsCreatedUpWithItsAddressAndStableMac) {
  ensure_bridge("bgtest0", gateway);
  auto link = ip_link("bgtest0");
  EXPECT_EQ(link.at("linkinfo").at("info_kind"), "bridge");
  EXPECT_TRUE(up(link));
  EXPECT_EQ(ipv4_of("bgtest0"), std::vector<std::string>{"10.77.0.1/24"});

  auto info = listed("bgtest0");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->kind, "bridge");
  EXPECT_TRUE(info->up);
  EXPECT_EQ(info->addresses, std::vector<Cidr>{gateway});
  EXPECT_EQ(info->mac, link.at("address"));
  auto mac = info->mac;

  delete_link("bgtest0");
  EXPECT_FALSE(ip_has("bgtest0"));
  ensure_bridge("bgtest0", gateway);
  EXPECT_EQ(listed("bgtest0")->mac, mac) << "a recreated bridge keeps its MAC";
}

TEST_F(LinksInNetns, EnsureBridgeIsIdempotentAndReplacesAStaleAddress) {
  ensure_bridge("bgtest0", gateway);
  ensure_bridge("bgtest0", gateway);
  EXPECT_EQ(ipv4_of("bgtest0"), std::vector<std::string>{"10.77.0.1/24"});

  netns_->ip("link set bgtest0 down");
  netns_->ip("addr add 10.99.0.1/16 dev bgtest0");
  ensure_bridge("bgtest0", *parse_cidr("10.78.0.1/24"));
  EXPECT_EQ(ipv4_of("bgtest0"), std::vector<std::string>{"10.78.0.1/24"});
  EXPECT_TRUE(up(ip_link("bgtest0")));
}

TEST_F(LinksInNetns, AddBridgeMakesABareBridgeAndNeverTakesAnExistingLink) {
  add_bridge("bgtest0");
  auto link = ip_link("bgtest0");
  EXPECT_EQ(link.at("linkinfo").at("info_kind"), "bridge");
  EXPECT_FALSE(up(link));
  EXPECT_EQ(ipv4_of("bgtest0"), std::vector<std::string>{});

  EXPECT_EQ(failure_of([] { add_bridge("bgtest0"); }), ErrorKind::backend_failed);
  EXPECT_EQ(failure_of([] { add_bridge("lo"); }), ErrorKind::backend_failed);
  EXPECT_EQ(failure_of([] { add_bridge("bad/name"); }), ErrorKind::invalid_args);
}

TEST_F(LinksInNetns, BadNamesAndOtherKindsAreRefusedWithoutChanges) {
  EXPECT_EQ(failure_of([&] { ensure_bridge("bad/name", gateway); }), ErrorKind::invalid_args);
  EXPECT_EQ(failure_of([&] { ensure_bridge("a-name-too-long-0", gateway); }), ErrorKind::invalid_args);
  EXPECT_EQ(failure_of([&] { ensure_bridge("lo", gateway); }), ErrorKind::invalid_args);
  EXPECT_EQ(ipv4_of("lo"), std::vector<std::string>{}) << "lo got an address";
  EXPECT_EQ(failure_of([] { delete_tap("lo"); }), ErrorKind::invalid_args);
  EXPECT_TRUE(ip_has("lo"));
  EXPECT_NO_THROW(delete_link("nosuchlink"));
}

TEST_F(LinksInNetns, ABridgeTheKernelRefusesAnAddressIsNotLeftBehind) {
  EXPECT_EQ(failure_of([] { ensure_bridge("bgtest0", Cidr{0x0a4d0001, 33}); }), ErrorKind::backend_failed);
  EXPECT_FALSE(ip_has("bgtest0"));
  ensure_bridge("bgtest0", gateway);
  EXPECT_EQ(failure_of([] { ensure_bridge("bgtest0", Cidr{0x0a4d0001, 33}); }), ErrorKind::backend_failed);
  EXPECT_TRUE(ip_has("bgtest0")) << "a bridge that was there before stays";
}

TEST_F(LinksInNetns, TapIsPersistentVnetHdrOwnedAttachedAndUp) {
  ensure_bridge("bgtest0", gateway);
  auto tap = tap_name_for(new_vm_id());
  create_tap(tap, 1234, "bgtest0");

  auto link = ip_link(tap);
  EXPECT_EQ(link.at("master"), "bgtest0");
  EXPECT_TRUE(up(link));
  auto data = link.at("linkinfo").at("info_data");
  EXPECT_EQ(link.at("linkinfo").at("info_kind"), "tun");
  EXPECT_EQ(data.at("type"), "tap");
  EXPECT_EQ(data.at("pi"), false);
  EXPECT_EQ(data.at("vnet_hdr"), true);
  EXPECT_EQ(data.at("multi_queue"), false);
  EXPECT_EQ(data.at("persist"), true);
  EXPECT_EQ(data.at("user"), 1234);

  auto info = listed(tap);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->kind, "tun");
  EXPECT_EQ(info->master, "bgtest0");
  EXPECT_TRUE(info->up);
  EXPECT_EQ(list_taps(), std::vector<std::string>{tap});

  delete_tap(tap);
  EXPECT_FALSE(ip_has(tap));
  EXPECT_NO_THROW(delete_tap(tap));
  EXPECT_TRUE(ip_has("bgtest0"));
}

TEST_F(LinksInNetns, CreateTapRepairsAStaleTapAndLeavesAnOpenOneWorking) {
  ensure_bridge("bgtest0", gateway);
  ensure_bridge("bgtest1", *parse_cidr("10.78.0.1/24"));
  auto tap = tap_name_for(new_vm_id());
  create_tap(tap, 0, "bgtest0");
  netns_->ip("link set " + tap + " down nomaster");
  create_tap(tap, 0, "bgtest0");
  EXPECT_EQ(ip_link(tap).at("master"), "bgtest0");
  EXPECT_TRUE(up(ip_link(tap)));

  // A VMM has it open (as Firecracker does), then banger recovers after a restart.
  UniqueFd vmm(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  ifreq request{};
  std::strncpy(request.ifr_name, tap.c_str(), IFNAMSIZ - 1);
  request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  ASSERT_EQ(::ioctl(vmm.get(), TUNSETIFF, &request), 0) << std::strerror(errno);
  netns_->ip("link set " + tap + " nomaster");
  create_tap(tap, 0, "bgtest1");
  EXPECT_EQ(ip_link(tap).at("master"), "bgtest1");
  EXPECT_TRUE(up(ip_link(tap)));
  vmm.reset();
  EXPECT_TRUE(ip_has(tap)) << "the tap is persistent: it outlives the VMM";
}

TEST_F(LinksInNetns, CreateTapLeavesNothingBehindOnBadInput) {
  auto tap = tap_name_for(new_vm_id());
  EXPECT_EQ(failure_of([&] { create_tap(tap, 0, "nobridge"); }), ErrorKind::invalid_args);
  EXPECT_FALSE(ip_has(tap));
  EXPECT_EQ(failure_of([&] { create_tap(tap, 0, "lo"); }), ErrorKind::invalid_args);
  EXPECT_FALSE(ip_has(tap));
  ensure_bridge("bgtest0", gateway);
  ensure_bridge("bgtest1", *parse_cidr("10.78.0.1/24"));
  EXPECT_EQ(failure_of([&] { create_tap("bgtest1", 0, "bgtest0"); }), ErrorKind::invalid_args);
  EXPECT_EQ(ip_link("bgtest1").at("linkinfo").at("info_kind"), "bridge");
  EXPECT_EQ(failure_of([&] { delete_tap("bgtest1"); }), ErrorKind::invalid_args);
  EXPECT_TRUE(ip_has("bgtest1"));
}

TEST_F(LinksInNetns, ListTapsFindsOnlyBangersTaps) {
  ensure_bridge("bgtest0", gateway);
  std::vector<std::string> taps = {tap_name_for(new_vm_id()), tap_name_for(new_vm_id())};
  for (auto& tap : taps) create_tap(tap, 0, "bgtest0");
  netns_->ip("tuntap add dev othertap mode tap");
  auto found = list_taps();
  std::sort(found.begin(), found.end());
  std::sort(taps.begin(), taps.end());
  EXPECT_EQ(found, taps);
}

TEST_F(LinksInNetns, RoutesFollowTheBridgeAndSteerTheSubnetChoice) {
  auto subnet = *parse_cidr("10.77.0.0/24"), next = *parse_cidr("10.78.0.0/24");
  EXPECT_FALSE(clashes(subnet, host_routes()));
  ensure_bridge("bgtest0", gateway);

  auto routes = host_routes();
  auto clash = find_clash(subnet, routes);
  ASSERT_TRUE(clash);
  EXPECT_EQ(clash->device, "bgtest0");
  EXPECT_TRUE(std::any_of(routes.begin(), routes.end(), [&](const Route& r) {
    return r.destination == subnet && r.device == "bgtest0" && r.table == RT_TABLE_MAIN;
  }));
  EXPECT_FALSE(clashes(*parse_cidr("10.77.1.0/24"), routes));
  EXPECT_EQ(first_free_subnet({subnet, next}, routes), next);

  // Routes the host was given rather than made for an address: a VPN's, a blackhole.
  netns_->ip("route add 10.80.0.0/16 dev bgtest0");
  netns_->ip("route add blackhole 10.81.0.0/24");
  routes = host_routes();
  EXPECT_EQ(find_clash(*parse_cidr("10.80.5.0/24"), routes)->device, "bgtest0");
  auto blackhole = find_clash(*parse_cidr("10.81.0.0/16"), routes);
  ASSERT_TRUE(blackhole);
  EXPECT_EQ(blackhole->destination, *parse_cidr("10.81.0.0/24"));
  EXPECT_EQ(blackhole->device, "");
  netns_->ip("route del blackhole 10.81.0.0/24");

  delete_link("bgtest0");
  EXPECT_FALSE(clashes(subnet, host_routes()));
  EXPECT_EQ(first_free_subnet({subnet, next}, host_routes()), subnet);
}

}  // namespace
}  // namespace banger::net
