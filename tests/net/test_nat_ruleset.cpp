#include <gtest/gtest.h>

#include "core/errors.h"
#include "net/nat_ruleset.h"

namespace banger {
namespace {

// What the kernel makes of these scripts is checked in test_nat_table.cpp;
// these pin what must hold before anything reaches nftables.

TEST(NatRuleset, ApplyScriptFirstReplacesBangersTableInTheSameBatch) {
  const auto script = nat_apply_script({{"bgr0", "10.201.0.0/24", true}});
  EXPECT_EQ(script.rfind("add table inet banger\ndelete table inet banger\ntable inet banger {\n", 0), 0u) << script;
}

TEST(NatRuleset, RemoveScriptWorksWhetherOrNotTheTableExists) {
  EXPECT_EQ(nat_remove_script(), "add table inet banger\ndelete table inet banger\n");
}

TEST(NatRuleset, SubnetsReachTheScriptInCanonicalForm) {
  const auto script = nat_apply_script({{"bgr6", "fd00:0:0:42:0:0:0:0/64", true}});
  EXPECT_NE(script.find("ip6 saddr fd00:0:0:42::/64 oifname != \"bgr6\" masquerade"), std::string::npos) << script;
}

TEST(NatRuleset, RefusesABridgeNamedByTwoNetworks) {
  try {
    nat_apply_script({{"bgr0", "10.201.0.0/24", true}, {"bgr0", "10.202.0.0/24", false}});
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_args);
    EXPECT_NE(std::string(e.what()).find("bgr0"), std::string::npos) << e.what();
  }
}

TEST(NatRuleset, RefusesAnyBadNetworkEvenAfterGoodOnes) {
  EXPECT_THROW(nat_apply_script({{"bgr0", "10.201.0.0/24", true}, {"bgr1\" accept", "10.202.0.0/24", true}}), Error);
  EXPECT_THROW(nat_apply_script({{"bgr0", "10.201.0.0/24", true}, {"bgr1", "10.202.0.0/24 masquerade", true}}),
               Error);
}

}  // namespace
}  // namespace banger
