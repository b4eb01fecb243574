// The forward table's script: what must hold before anything reaches
// nftables (what the kernel makes of it: test_port_forward_traffic.cpp).
#include <gtest/gtest.h>

#include "core/errors.h"
#include "net/port_forward_ruleset.h"

namespace banger {
namespace {

const ForwardRule web{"tcp", 8080, "10.201.0.2", 80, "bgr0"};

// Issue 19: flushed and refilled, its chains never deleted (that would drop wake-on-connect's held SYNs).
TEST(PortForwardRuleset, RefillsItsOwnTableInOneBatchWithoutDeletingAChain) {
  const auto script = forward_apply_script({web});
  EXPECT_EQ(script.rfind("add table ip banger_forwards\n", 0), 0u) << script;
  EXPECT_EQ(script.find("delete"), std::string::npos) << script;
  const auto flush = script.find("flush table ip banger_forwards\ntable ip banger_forwards {\n");
  ASSERT_NE(flush, std::string::npos) << script;
  for (const char* chain : {"guard", "prerouting", "output", "postrouting"})
    EXPECT_LT(script.find(std::string("add chain ip banger_forwards ") + chain + " { type "), flush) << chain;
  EXPECT_EQ(forward_remove_script(), "add table ip banger_forwards\ndelete table ip banger_forwards\n");
}

TEST(PortForwardRuleset, DnatsTheHostsOwnAddressesFromOutsideAndFromTheHost) {
  const auto script = forward_apply_script({web, {"udp", 5353, "10.201.0.3", 53, "bgr0"}});
  const std::string tcp = "fib daddr type local tcp dport 8080 dnat to 10.201.0.2:80\n";
  const std::string udp = "fib daddr type local udp dport 5353 dnat to 10.201.0.3:53\n";
  const auto prerouting = script.find("\t\ttype nat hook prerouting");  // in the table, after the add chain lines
  const auto output = script.find("\t\ttype nat hook output");
  ASSERT_NE(prerouting, std::string::npos) << script;
  ASSERT_NE(output, std::string::npos) << script;
  EXPECT_NE(script.find(tcp, prerouting), std::string::npos) << script;
  EXPECT_LT(script.find(tcp, prerouting), output) << script;
  EXPECT_NE(script.find(tcp, output), std::string::npos) << script;
  EXPECT_NE(script.find(udp, output), std::string::npos) << script;
}

TEST(PortForwardRuleset, LoopbackAndHairpinConnectionsAreMasqueradedOncePerBridge) {
  const auto script = forward_apply_script({web, {"tcp", 8081, "10.201.0.3", 81, "bgr0"}});
  const std::string loopback = "oifname \"bgr0\" ip saddr 127.0.0.0/8 ct status dnat masquerade\n";
  const auto first = script.find(loopback);
  ASSERT_NE(first, std::string::npos) << script;
  EXPECT_EQ(script.find(loopback, first + 1), std::string::npos) << script;
  EXPECT_NE(script.find("iifname \"bgr0\" oifname \"bgr0\" ct status dnat masquerade\n"), std::string::npos);
}

TEST(PortForwardRuleset, GuardsLoopbackAddressesEvenWithoutForwards) {
  const auto script = forward_apply_script({});
  EXPECT_NE(script.find("type filter hook prerouting priority raw"), std::string::npos) << script;
  EXPECT_NE(script.find("iifname != \"lo\" ip daddr 127.0.0.0/8 drop"), std::string::npos) << script;
  EXPECT_EQ(script.find("dnat"), std::string::npos) << script;
}

TEST(PortForwardRuleset, RefusesAnythingThatCouldCarryNftSyntax) {
  for (const auto& bad : std::vector<ForwardRule>{{"tcp\" accept", 8080, "10.201.0.2", 80, "bgr0"},
                                                  {"tcp", 8080, "10.201.0.2; flush ruleset", 80, "bgr0"},
                                                  {"tcp", 8080, "fd00::2", 80, "bgr0"},
                                                  {"tcp", 8080, "10.201.0.2", 80, "bgr0\" accept"},
                                                  {"tcp", 0, "10.201.0.2", 80, "bgr0"},
                                                  {"tcp", 8080, "10.201.0.2", 0, "bgr0"}}) {
    try {
      forward_apply_script({web, bad});
      ADD_FAILURE() << "accepted " << bad.protocol << " " << bad.guest_address << " " << bad.bridge;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_args) << e.what();
    }
  }
}

TEST(PortForwardRuleset, RefusesAHostPortTwicePerProtocol) {
  EXPECT_THROW(forward_apply_script({web, {"tcp", 8080, "10.201.0.3", 81, "bgr0"}}), Error);
  EXPECT_NO_THROW(forward_apply_script({web, {"udp", 8080, "10.201.0.3", 81, "bgr0"}}));
}

}  // namespace
}  // namespace banger
