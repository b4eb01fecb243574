// Issue 17, finding 6: the tap guards (net/tap_guard_table.h) carrying real
// traffic. Namespaces of the test's own: a "host" with the bridge bgr0
// (10.201.0.1/24) and two guests behind banger-named ports, a at 10.201.0.2
// (MAC 02:00:00:00:00:0a) and b at 10.201.0.3 (02:00:00:00:00:0b). A guest
// that sends as the other's address or MAC gets nothing through; isolated
// ports reach the host but not each other. Each spoof is also shown to get
// through without the guards, so the tests see the guards and not a layout
// that never carried the traffic.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/errors.h"
#include "net/tap_guard_ruleset.h"
#include "net/tap_guard_table.h"
#include "net/nft_script.h"
#include "netns.h"

namespace banger {
namespace {

struct Guest {
  std::string port, mac, address;
};
const Guest a{"bgt00000000000a", "02:00:00:00:00:0a", "10.201.0.2"};
const Guest b{"bgt00000000000b", "02:00:00:00:00:0b", "10.201.0.3"};
const std::string host_address = "10.201.0.1";

class TapGuardTrafficTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = test::netns_unavailable({.programs = {"nft", "ping"}})) GTEST_SKIP() << *why;
    a_ = std::make_unique<test::ScopedNetns>(false);
    b_ = std::make_unique<test::ScopedNetns>(false);
    host_ = std::make_unique<test::ScopedNetns>();
    std::vector<std::pair<const test::ScopedNetns*, std::string>> commands{
        {host_.get(), "ip link set lo up"},
        {host_.get(), "ip link add bgr0 type bridge"},
        {host_.get(), "ip addr add " + host_address + "/24 dev bgr0"},
        {host_.get(), "ip link set bgr0 up"}};
    for (const auto& [ns, guest] : {std::pair{a_.get(), a}, std::pair{b_.get(), b}}) {
      commands.push_back({host_.get(), "ip link add " + guest.port + " type veth peer name eth0 netns " + ns->name()});
      commands.push_back({host_.get(), "ip link set " + guest.port + " master bgr0 up"});
      commands.push_back({ns, "ip link set eth0 address " + guest.mac});
      commands.push_back({ns, "ip addr add " + guest.address + "/24 dev eth0"});
      commands.push_back({ns, "ip link set eth0 up"});
    }
    for (const auto& [ns, command] : commands) ASSERT_EQ(ns->exec(command + " 2>&1").status, 0) << command;
  }
  void TearDown() override {
    if (host_) run_nft_script(tap_guard_remove_script(), "removing the test's guards");
  }

  static bool pings(const test::ScopedNetns& from, const std::string& to, const std::string& source = "") {
    const std::string from_source = source.empty() ? "" : " -I " + source;
    // One answer within 2 s, asking every 0.3 s: right after a guard changes, the first
    // request may wait for an ARP entry a refused frame left failed (slow under ASan).
    return from.exec("ping -c1 -w2 -i0.3" + from_source + " " + to + " >/dev/null 2>&1").status == 0;
  }
  // The MAC the host's bridge learned for `address` by ARP, or "".
  std::string host_neighbour(const std::string& address) const {
    const auto out = host_->exec("ip neigh show " + address + " dev bgr0").out;
    const auto at = out.find("lladdr ");
    return at == std::string::npos ? "" : out.substr(at + 7, 17);
  }

  static TapGuard guard_of(const Guest& guest, bool isolated) { return {guest.port, guest.mac, guest.address, isolated}; }

  // Declared first so they go last: the host namespace is left before the others are deleted.
  std::unique_ptr<test::ScopedNetns> a_;
  std::unique_ptr<test::ScopedNetns> b_;
  std::unique_ptr<test::ScopedNetns> host_;
  TapGuardTable guards_;
};

TEST_F(TapGuardTrafficTest, GuardedGuestsOfAUserNetworkReachTheHostAndEachOther) {
  guards_.guard_only({guard_of(a, false), guard_of(b, false)});
  EXPECT_TRUE(pings(*a_, host_address));
  EXPECT_TRUE(pings(*a_, b.address));
  EXPECT_TRUE(pings(*b_, a.address));
  EXPECT_EQ(host_neighbour(a.address), a.mac);
}

TEST_F(TapGuardTrafficTest, IsolatedPortsReachTheHostButNotEachOther) {
  EXPECT_TRUE(pings(*a_, b.address)) << "without the guards the two share the bridge";
  host_->exec("ip neigh flush dev bgr0");
  a_->exec("ip neigh flush dev eth0");
  guards_.guard_only({guard_of(a, true), guard_of(b, true)});
  EXPECT_TRUE(pings(*a_, host_address));
  EXPECT_TRUE(pings(*b_, host_address));
  EXPECT_FALSE(pings(*a_, b.address));
  EXPECT_FALSE(pings(*b_, a.address));
}

// a claims b's address: its ARP and IPv4 go nowhere, and the host still knows
// b's address at b's MAC (or not at all), never at a's.
TEST_F(TapGuardTrafficTest, GuestSendingAsAnothersAddressGetsNothingThrough) {
  ASSERT_EQ(a_->exec("ip addr add " + b.address + "/32 dev eth0").status, 0);
  ASSERT_EQ(b_->exec("ip link set eth0 down").status, 0);  // b away, so only a can answer for its address
  EXPECT_TRUE(pings(*a_, host_address, b.address)) << "without the guards the spoof gets through";
  EXPECT_EQ(host_neighbour(b.address), a.mac);
  host_->exec("ip neigh flush dev bgr0");
  a_->exec("ip neigh flush dev eth0");

  guards_.guard_only({guard_of(a, false), guard_of(b, false)});
  EXPECT_FALSE(pings(*a_, host_address, b.address));
  EXPECT_NE(host_neighbour(b.address), a.mac);
  // a's own address, once it stops claiming b's: its neighbour entry for the
  // host, left failed by the refused ARP above, is flushed first.
  a_->exec("ip addr del " + b.address + "/32 dev eth0");
  a_->exec("ip neigh flush dev eth0");
  EXPECT_TRUE(pings(*a_, host_address, a.address)) << "its own address still works";
}

TEST_F(TapGuardTrafficTest, GuestSendingAsAnothersMacGetsNothingThrough) {
  ASSERT_EQ(b_->exec("ip link set eth0 down").status, 0);
  ASSERT_EQ(a_->exec("ip link set eth0 address " + b.mac).status, 0);
  EXPECT_TRUE(pings(*a_, host_address)) << "without the guards the spoof gets through";
  host_->exec("ip neigh flush dev bgr0");
  a_->exec("ip neigh flush dev eth0");

  guards_.guard_only({guard_of(a, false), guard_of(b, false)});
  EXPECT_FALSE(pings(*a_, host_address));
  ASSERT_EQ(a_->exec("ip link set eth0 address " + a.mac).status, 0);
  EXPECT_TRUE(pings(*a_, host_address)) << "its own MAC still works";
}

// A banger tap no guard names (not yet guarded, or unguarded at its stop) passes nothing.
TEST_F(TapGuardTrafficTest, BangerTapWithoutAGuardGetsNothingThrough) {
  guards_.guard(guard_of(b, false));
  EXPECT_FALSE(pings(*a_, host_address));
  EXPECT_TRUE(pings(*b_, host_address));
  guards_.guard(guard_of(a, false));
  EXPECT_TRUE(pings(*a_, host_address));
  guards_.unguard(a.port);
  host_->exec("ip neigh flush dev bgr0");
  a_->exec("ip neigh flush dev eth0");
  EXPECT_FALSE(pings(*a_, host_address));
  EXPECT_TRUE(pings(*b_, host_address));
}

// Issue 18: a VM start adds its tap's guard to the table rather than writing
// the table whole. What it adds is what the whole table would hold.
TEST_F(TapGuardTrafficTest, AGuardAddedToTheTableIsTheGuardWrittenWhole) {
  // The table's rules, one a line and sorted (handles left out): added ones are inserted, not appended.
  const auto rules = [&] {
    auto text = host_->exec("nft list table bridge banger_guard").out;
    std::vector<std::string> lines;
    for (std::size_t at = 0, end; at < text.size(); at = end + 1) {
      end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      lines.push_back(text.substr(at, end - at));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  guards_.guard(guard_of(a, true));
  guards_.guard(guard_of(b, true));  // added to the table guard(a) wrote
  const auto added = rules();
  ASSERT_GT(added.size(), 15u) << "two taps' chains and rules";
  guards_.guard_only({guard_of(a, true), guard_of(b, true)});
  EXPECT_EQ(added, rules());
  EXPECT_TRUE(pings(*b_, host_address));
  EXPECT_FALSE(pings(*b_, a.address));
}

// The table deleted behind banger's back: the next guard writes it whole, the others' guards too.
TEST_F(TapGuardTrafficTest, AGuardTableDeletedBehindBangersBackIsWrittenWholeAgain) {
  guards_.guard(guard_of(a, false));
  ASSERT_EQ(host_->exec("nft delete table bridge banger_guard").status, 0);
  guards_.guard(guard_of(b, false));
  EXPECT_TRUE(pings(*a_, host_address));
  EXPECT_TRUE(pings(*b_, host_address));
  ASSERT_EQ(a_->exec("ip link set eth0 address " + b.mac).status, 0);
  host_->exec("ip neigh flush dev bgr0");
  a_->exec("ip neigh flush dev eth0");
  EXPECT_FALSE(pings(*a_, host_address)) << "a's guard is back: it may not send as b's MAC";
}

TEST(TapGuardRulesetTest, RefusesWhatIsNotATapMacOrAddress) {
  for (const TapGuard& bad : {TapGuard{"eth0", a.mac, a.address}, TapGuard{a.port, "01:00:00:00:00:0a", a.address},
                              TapGuard{a.port, "02:00:00:00:00:0a\" drop", a.address},
                              TapGuard{a.port, a.mac, "10.201.0.2 accept"}, TapGuard{a.port, a.mac, "0.0.0.0"}}) {
    try {
      tap_guard_apply_script({bad});
      ADD_FAILURE() << bad.tap << " " << bad.mac << " " << bad.address << " was taken";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_args) << e.what();
    }
  }
}

TEST(TapGuardRulesetTest, AnAddedGuardRefusesWhatIsNotATapMacOrAddress) {
  for (const TapGuard& bad : {TapGuard{"eth0", a.mac, a.address}, TapGuard{a.port, "01:00:00:00:00:0a", a.address},
                              TapGuard{a.port, a.mac, "10.201.0.2 accept"}}) {
    try {
      tap_guard_add_script(bad);
      ADD_FAILURE() << bad.tap << " " << bad.mac << " " << bad.address << " was taken";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_args) << e.what();
    }
  }
}

}  // namespace
}  // namespace banger
