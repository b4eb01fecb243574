#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "core/errors.h"
#include "core/ids.h"
#include "net/links.h"
#include "core/mac_address.h"
#include "net/taps.h"

namespace banger::net {
namespace {

TEST(TapNames, DerivedFromTheVmIdWithinTheKernelLimit) {
  EXPECT_EQ(tap_name_for("0123456789abcdef0123456789abcdef"), "bgt0123456789ab");
  for (int i = 0; i < 100; ++i) {
    auto id = new_vm_id();
    auto name = tap_name_for(id);
    EXPECT_LE(name.size(), 15u);
    EXPECT_EQ(name, tap_name_for(id));
    EXPECT_TRUE(is_tap_name(name)) << name;
    EXPECT_NO_THROW(validate_link_name(name));
  }
}

TEST(TapNames, RefusesIdsThatAreNotHex) {
  for (auto bad : {"", "0123456789a", "0123456789aX", "../../etc/pas", "0123456789AB"})
    EXPECT_THROW(tap_name_for(bad), Error) << bad;
}

TEST(TapNames, RecognisesOnlyItsOwnForm) {
  EXPECT_TRUE(is_tap_name("bgt0123456789ab"));
  for (auto other : {"bgt0123456789a", "bgt0123456789abc", "bgx0123456789ab", "eth0", "bgt0123456789aZ"})
    EXPECT_FALSE(is_tap_name(other)) << other;
}

TEST(Macs, StableLocallyAdministeredUnicastAndDistinct) {
  std::regex form("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_vm_id();
    auto mac = mac_for(id);
    ASSERT_TRUE(std::regex_match(mac, form)) << mac;
    EXPECT_EQ(mac, mac_for(id));
    auto first = std::stoi(mac.substr(0, 2), nullptr, 16);
    EXPECT_EQ(first & 0x03, 0x02) << mac;  // locally administered, not multicast
    seen.insert(mac);
  }
  EXPECT_EQ(seen.size(), 1000u);
  // Fixed across builds and hosts: a VM keeps its MAC (and its DHCP lease) forever.
  EXPECT_EQ(stable_mac("0123456789abcdef0123456789abcdef"), mac_for("0123456789abcdef0123456789abcdef"));
  EXPECT_NE(stable_mac("a"), stable_mac("b"));
}

TEST(LinkNames, KernelRulesAreEnforced) {
  for (auto good : {"br0", "banger0", "a", "123456789012345"}) EXPECT_NO_THROW(validate_link_name(good)) << good;
  for (auto bad : {"", ".", "..", "1234567890123456", "a/b", "a b", "a:b", "a\nb"})
    EXPECT_THROW(validate_link_name(bad), Error) << bad;
}

}  // namespace
}  // namespace banger::net
