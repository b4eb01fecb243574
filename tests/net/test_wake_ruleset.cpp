// The wake table's script (net/wake_ruleset.h): what must hold before anything
// reaches nftables (what the kernel makes of it: test_wake_traffic.cpp).
#include <gtest/gtest.h>

#include "core/errors.h"
#include "net/wake_ruleset.h"

namespace banger {
namespace {

// Flushed and refilled, its chains never deleted: that would drop the SYNs held meanwhile.
TEST(WakeRuleset, RefillsItsOwnTableInOneBatchWithoutDeletingAChain) {
  const auto script = wake_apply_script({{"10.201.0.2", {}}}, 2990);
  EXPECT_EQ(script.rfind("add table ip banger_wake\n"
                         "add chain ip banger_wake prerouting { type filter hook prerouting priority raw; policy accept; }\n"
                         "add chain ip banger_wake output { type filter hook output priority raw; policy accept; }\n"
                         "flush table ip banger_wake\n"
                         "table ip banger_wake {\n",
                         0),
            0u)
      << script;
  EXPECT_EQ(script.find("delete"), std::string::npos) << script;
  EXPECT_EQ(wake_remove_script(), "add table ip banger_wake\ndelete table ip banger_wake\n");
}

TEST(WakeRuleset, QueuesFirstSegmentsToTheAddressAndTheForwardedPortsInBothHooksAtRawPriority) {
  const auto script = wake_apply_script({{"10.201.0.2", {8080, 9090}}, {"10.201.0.3", {}}}, 2990);
  const std::string address =
      "ip daddr 10.201.0.2 tcp flags & (syn | ack) == syn queue num 2990 bypass\n";
  const std::string ports =
      "fib daddr type local tcp dport { 8080, 9090 } tcp flags & (syn | ack) == syn queue num 2990 bypass\n";
  const std::string other = "ip daddr 10.201.0.3 tcp flags & (syn | ack) == syn queue num 2990 bypass\n";
  const auto prerouting = script.find("\t\ttype filter hook prerouting priority raw;");  // in the table block
  const auto output = script.find("\t\ttype filter hook output priority raw;");
  ASSERT_NE(prerouting, std::string::npos) << script;
  ASSERT_NE(output, std::string::npos) << script;
  for (const auto& rule : {address, ports, other}) {
    EXPECT_LT(script.find(rule, prerouting), output) << rule << script;
    EXPECT_NE(script.find(rule, output), std::string::npos) << rule << script;
  }
  EXPECT_EQ(script.find("fib daddr type local tcp dport {  }"), std::string::npos) << "no port rule without ports";
}

TEST(WakeRuleset, NoInputAddsSyntax) {
  for (const char* bad : {"10.201.0.2 accept", "", "10.201.0.2/24", "::1", "10.201.0.256"})
    EXPECT_THROW(wake_apply_script({{bad, {}}}, 2990), Error) << bad;
  EXPECT_THROW(wake_apply_script({{"10.201.0.2", {0}}}, 2990), Error);
}

TEST(WakeRuleset, NoVmsMakeAnEmptyTable) {
  const auto script = wake_apply_script({}, 2990);
  EXPECT_EQ(script.find("queue"), std::string::npos) << script;
}

}  // namespace
}  // namespace banger
