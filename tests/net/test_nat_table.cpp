// NatTable against the kernel's nftables, in a network namespace each test
// makes and removes, beside a foreign table that must stay as it was.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "net/nat_forwarding.h"
#include "net/nat_table.h"
#include "netns.h"

namespace banger {
namespace {

using nlohmann::json;
using Rules = std::vector<std::string>;

// The ruleset without handles, which change whenever a table is replaced.
json without_handles(json j) {
  if (j.is_object()) {
    j.erase("handle");
    for (auto& [key, value] : j.items()) value = without_handles(value);
  } else if (j.is_array()) {
    for (auto& value : j) value = without_handles(value);
  }
  return j;
}

std::string describe_operand(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_array()) {
    std::string list;
    for (const auto& item : j) list += (list.empty() ? "" : ",") + describe_operand(item);
    return list;
  }
  if (j.contains("payload")) return j["payload"]["protocol"].get<std::string>() + " " + j["payload"]["field"].get<std::string>();
  if (j.contains("meta")) return j["meta"]["key"].get<std::string>();
  if (j.contains("ct")) return "ct " + j["ct"]["key"].get<std::string>();
  if (j.contains("prefix")) return j["prefix"]["addr"].get<std::string>() + "/" + std::to_string(j["prefix"]["len"].get<int>());
  return j.dump();
}

// One rule's expressions in short: "ip saddr == 10.0.0.0/24; oifname != br0; masquerade".
std::string describe_rule(const json& rule) {
  std::string text;
  for (const auto& expr : rule["expr"]) {
    // Not a structured binding of *items().begin(): that is a temporary, gone by the next line.
    const auto first = expr.items().begin();
    const std::string kind = first.key();
    const json& body = first.value();
    std::string part = kind;
    if (kind == "match") {
      part = describe_operand(body["left"]) + " " + body["op"].get<std::string>() + " " + describe_operand(body["right"]);
    }
    text += (text.empty() ? "" : "; ") + part;
  }
  return text;
}

class NatTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = test::netns_unavailable({.programs = {"nft"}})) GTEST_SKIP() << *why;
    netns_ = std::make_unique<test::ScopedNetns>();
    // The host's own rules, as banger would find them: a table with a chain
    // on the same hook and a rule.
    ASSERT_EQ(netns_->exec("nft add table ip other").status, 0);
    ASSERT_EQ(netns_->exec("nft add chain ip other host_forward '{ type filter hook forward priority 0; policy accept; }'").status, 0);
    ASSERT_EQ(netns_->exec("nft add rule ip other host_forward iifname eth9 counter accept").status, 0);
    foreign_ = table("ip", "other");
    ASSERT_FALSE(foreign_.is_null());
  }

  void TearDown() override { netns_.reset(); }

  json ruleset() const {
    const auto listed = netns_->exec("nft -j list ruleset");
    EXPECT_EQ(listed.status, 0);
    return json::parse(listed.out)["nftables"];
  }

  json table(const std::string& family, const std::string& name) const {
    const auto listed = netns_->exec("nft -j list table " + family + " " + name + " 2>/dev/null");
    return listed.status == 0 ? json::parse(listed.out) : json();
  }

  std::vector<std::string> tables() const {
    std::vector<std::string> names;
    for (const auto& item : ruleset()) {
      if (item.contains("table")) names.push_back(item["table"]["family"].get<std::string>() + " " + item["table"]["name"].get<std::string>());
    }
    return names;
  }

  // banger's chains ("name type hook prio policy") and each chain's rules.
  std::map<std::string, std::string> banger_chains() const {
    std::map<std::string, std::string> chains;
    for (const auto& item : ruleset()) {
      if (!item.contains("chain") || item["chain"]["table"] != "banger") continue;
      const auto& c = item["chain"];
      chains[c["name"]] = c["type"].get<std::string>() + " " + c["hook"].get<std::string>() + " " +
                          std::to_string(c["prio"].get<int>()) + " " + c["policy"].get<std::string>();
    }
    return chains;
  }

  Rules banger_rules(const std::string& chain) const {
    Rules rules;
    for (const auto& item : ruleset()) {
      if (item.contains("rule") && item["rule"]["table"] == "banger" && item["rule"]["chain"] == chain) {
        EXPECT_EQ(item["rule"]["family"], "inet");
        rules.push_back(describe_rule(item["rule"]));
      }
    }
    return rules;
  }

  void expect_foreign_untouched() const { EXPECT_EQ(table("ip", "other"), foreign_) << "the foreign table changed"; }

  std::unique_ptr<test::ScopedNetns> netns_;
  json foreign_;
  NatTable nat_;
};

const std::map<std::string, std::string> kChains = {
    {"forward", "filter forward 0 accept"},
    {"input", "filter input 0 accept"},  // users: guests kept off the host's services
    {"postrouting", "nat postrouting 100 accept"},
};

TEST_F(NatTableTest, NoNetworksMakeBangersTableWithEmptyChains) {
  nat_.apply({});
  EXPECT_EQ(tables(), (std::vector<std::string>{"ip other", "inet banger"}));
  EXPECT_EQ(banger_chains(), kChains);
  EXPECT_EQ(banger_rules("postrouting"), Rules{});
  EXPECT_EQ(banger_rules("forward"), Rules{});
  EXPECT_EQ(banger_rules("input"), Rules{});
  expect_foreign_untouched();
}

TEST_F(NatTableTest, OneNatNetworkIsMasqueradedAndForwarded) {
  nat_.apply({{"bgr0", "10.201.0.0/24", true}});
  EXPECT_EQ(banger_chains(), kChains);
  EXPECT_EQ(banger_rules("postrouting"), (Rules{"ip saddr == 10.201.0.0/24; oifname != bgr0; masquerade"}));
  EXPECT_EQ(banger_rules("forward"), (Rules{
                                         "iifname == bgr0; oifname == bgr0; accept",
                                         "oifname == bgr0; ct state in established,related; accept",
                                         "oifname == bgr0; ct status in dnat; accept",
                                         "oifname == bgr0; drop",
                                         "iifname == bgr0; accept",
                                     }));
  expect_foreign_untouched();
}

TEST_F(NatTableTest, TwoNetworksOneHostOnly) {
  nat_.apply({{"bgr0", "10.201.0.0/24", true}, {"bgr1", "fd00:42::/64", true}, {"bgr2", "10.202.0.0/24", false}});
  EXPECT_EQ(banger_rules("postrouting"), (Rules{
                                             "ip saddr == 10.201.0.0/24; oifname != bgr0; masquerade",
                                             "ip6 saddr == fd00:42::/64; oifname != bgr1; masquerade",
                                         }));
  EXPECT_EQ(banger_rules("forward"), (Rules{
                                         "iifname == bgr2; drop",
                                         "oifname == bgr2; drop",
                                         "iifname == bgr0; oifname == bgr0; accept",
                                         "oifname == bgr0; ct state in established,related; accept",
                                         "oifname == bgr0; ct status in dnat; accept",
                                         "oifname == bgr0; drop",
                                         "iifname == bgr1; oifname == bgr1; accept",
                                         "oifname == bgr1; ct state in established,related; accept",
                                         "oifname == bgr1; ct status in dnat; accept",
                                         "oifname == bgr1; drop",
                                         "iifname == bgr0; accept",
                                         "iifname == bgr1; accept",
                                     }));
  expect_foreign_untouched();
}

TEST_F(NatTableTest, ApplyReplacesTheWholeTable) {
  nat_.apply({{"bgr0", "10.201.0.0/24", true}, {"bgr1", "10.202.0.0/24", true}});
  nat_.apply({{"bgr1", "10.202.0.0/24", false}});
  EXPECT_EQ(banger_rules("postrouting"), Rules{});
  EXPECT_EQ(banger_rules("forward"), (Rules{"iifname == bgr1; drop", "oifname == bgr1; drop"}));
  EXPECT_EQ(tables(), (std::vector<std::string>{"ip other", "inet banger"}));
  expect_foreign_untouched();
}

TEST_F(NatTableTest, ApplyingTwiceYieldsTheSameRuleset) {
  const std::vector<NatNetwork> networks{{"bgr0", "10.201.0.0/24", true}, {"bgr1", "10.202.0.0/24", false}};
  nat_.apply(networks);
  const auto once = without_handles(ruleset());
  nat_.apply(networks);
  EXPECT_EQ(without_handles(ruleset()), once);
}

TEST_F(NatTableTest, RemoveLeavesNothingOfBangersAndIsFineWhenAbsent) {
  nat_.apply({{"bgr0", "10.201.0.0/24", true}});
  nat_.remove();
  EXPECT_EQ(tables(), std::vector<std::string>{"ip other"});
  EXPECT_TRUE(banger_chains().empty());
  EXPECT_NO_THROW(nat_.remove());
  EXPECT_EQ(tables(), std::vector<std::string>{"ip other"});
  expect_foreign_untouched();
}

TEST_F(NatTableTest, BadInputIsRefusedWithNothingApplied) {
  nat_.apply({{"bgr0", "10.201.0.0/24", true}});
  const auto before = ruleset();
  for (const auto& networks : std::vector<std::vector<NatNetwork>>{
           {{"bgr0", "10.201.0.0/24", true}, {"bgr1\" accept", "10.202.0.0/24", true}},
           {{"bgr0", "10.201.0.0/24", true}, {"bgr1", "10.202.0.0/24; flush ruleset", true}},
           {{"bgr0", "10.201.0.5/24", true}},
           {{"bgr0", "10.201.0.0/24", true}, {"bgr0", "10.202.0.0/24", true}},
       }) {
    try {
      nat_.apply(networks);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_args) << e.what();
    }
    EXPECT_EQ(ruleset(), before);
  }
  expect_foreign_untouched();
}

// Without CAP_NET_ADMIN the kernel refuses the batch: the caller gets
// libnftables' own error text, and nothing is applied.
TEST_F(NatTableTest, KernelRefusalIsABackendFailureWithNftablesText) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (setresuid(65534, 65534, 65534) != 0) _exit(10);
    try {
      NatTable().apply({{"bgr0", "10.201.0.0/24", true}});
      _exit(11);
    } catch (const Error& e) {
      const bool has_text = std::strstr(e.what(), "Operation not permitted") != nullptr;
      if (!has_text) std::fprintf(stderr, "error text: %s\n", e.what());
      _exit(e.kind() == ErrorKind::backend_failed && has_text ? 0 : 12);
    } catch (...) {
      _exit(13);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setresuid failed, 11: applied, 12: wrong kind or text, 13: other exception";
  EXPECT_EQ(tables(), std::vector<std::string>{"ip other"});
}

TEST_F(NatTableTest, IpForwardingIsTurnedOnInThisNamespaceOnly) {
  const auto host_before = netns_->exec_outside("cat /proc/sys/net/ipv4/ip_forward");
  ASSERT_EQ(host_before.status, 0);
  const auto read_inside = [&] { return netns_->exec("cat /proc/sys/net/ipv4/ip_forward").out; };
  ASSERT_EQ(read_inside(), "0\n") << "a new namespace starts without forwarding";
  EXPECT_FALSE(enable_ipv4_forwarding());
  EXPECT_EQ(read_inside(), "1\n");
  EXPECT_TRUE(enable_ipv4_forwarding());
  EXPECT_EQ(netns_->exec_outside("cat /proc/sys/net/ipv4/ip_forward").out, host_before.out);
}

TEST(NatForwarding, UnreadableSettingIsABackendFailure) {
  try {
    enable_ipv4_forwarding("/nonexistent/ip_forward");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
  }
}

}  // namespace
}  // namespace banger
