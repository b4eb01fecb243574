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

// The input chain (users): what a guest may send to the host itself.
std::string input_chain_of(const std::string& script) {
  const auto begin = script.find("\tchain input {\n");
  EXPECT_NE(begin, std::string::npos) << script;
  if (begin == std::string::npos) return "";
  return script.substr(begin, script.find("\t}\n", begin) + 3 - begin);
}

TEST(NatRuleset, InputChainLetsGuestsReachOnlyDhcpDnsAndEchoOnTheGatewayThenDrops) {
  const auto chain = input_chain_of(nat_apply_script({{"bgr0", "10.201.0.0/24", true}}));
  EXPECT_EQ(chain,
            "\tchain input {\n"
            "\t\ttype filter hook input priority filter; policy accept;\n"
            "\t\tiifname \"bgr0\" ct state established,related accept\n"
            "\t\tiifname \"bgr0\" ct status dnat accept\n"
            "\t\tiifname \"bgr0\" udp dport 67 accept\n"
            "\t\tiifname \"bgr0\" ip daddr 10.201.0.1 udp dport 53 accept\n"
            "\t\tiifname \"bgr0\" ip daddr 10.201.0.1 tcp dport 53 accept\n"
            "\t\tiifname \"bgr0\" ip daddr 10.201.0.1 icmp type echo-request accept\n"
            "\t\tiifname \"bgr0\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept\n"
            "\t\tiifname \"bgr0\" drop\n"
            "\t}\n");
}

TEST(NatRuleset, InputChainCoversHostOnlyNetworksAndEveryBridgeEndsInADrop) {
  const auto chain = input_chain_of(
      nat_apply_script({{"bgr0", "10.201.0.0/24", false}, {"bgr1", "fd00:42::/64", true}}));
  EXPECT_NE(chain.find("iifname \"bgr0\" ip daddr 10.201.0.1 udp dport 53 accept\n"), std::string::npos) << chain;
  EXPECT_NE(chain.find("iifname \"bgr1\" ip6 daddr fd00:42::1 tcp dport 53 accept\n"), std::string::npos) << chain;
  EXPECT_NE(chain.find("iifname \"bgr1\" ip6 daddr fd00:42::1 icmpv6 type echo-request accept\n"), std::string::npos)
      << chain;
  EXPECT_NE(chain.find("iifname \"bgr0\" drop\n"), std::string::npos) << chain;
  EXPECT_NE(chain.find("iifname \"bgr1\" drop\n"), std::string::npos) << chain;
}

TEST(NatRuleset, TheGatewayIsTheSubnetsFirstAddressEvenAcrossAByte) {
  const auto script = nat_apply_script({{"bgr0", "10.201.0.0/23", true}, {"bgr1", "10.202.0.255/32", true}});
  EXPECT_NE(script.find("iifname \"bgr0\" ip daddr 10.201.0.1 udp dport 53 accept"), std::string::npos) << script;
  EXPECT_NE(script.find("iifname \"bgr1\" ip daddr 10.202.1.0 udp dport 53 accept"), std::string::npos) << script;
}

// Issue 17, finding 5: a guest of one NAT network must not open connections
// into another; test_nat_isolation_traffic.cpp shows it with real traffic.
TEST(NatRuleset, EveryDropIntoANatNetworkComesBeforeAnyAcceptFromABridge) {
  const auto script = nat_apply_script({{"bgr0", "10.201.0.0/24", true}, {"bgr1", "10.202.0.0/24", true}});
  const auto first_accept_from_a_bridge = script.find("iifname \"bgr0\" accept\n");
  ASSERT_NE(first_accept_from_a_bridge, std::string::npos) << script;
  for (const std::string bridge : {"bgr0", "bgr1"}) {
    const auto drop = script.find("oifname \"" + bridge + "\" drop\n");
    ASSERT_NE(drop, std::string::npos) << script;
    EXPECT_LT(drop, first_accept_from_a_bridge) << script;
  }
}

}  // namespace
}  // namespace banger
