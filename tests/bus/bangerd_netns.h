#pragma once
// Bus suites that run the real bangerd (netlink, nftables, taps) inside a
// network namespace of their own: the bus socket is a file, so the bus still
// reaches the daemon, and the host's interfaces and ruleset are never touched.
// Everything here reads that namespace only.
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "netns.h"

namespace banger::test {

// Makes the namespace and has BusEnvironment start bangerd in it (through
// BANGER_BANGERD_PREFIX); call before BusTest::SetUpTestSuite. Returns null
// with `why` set when namespaced tests cannot run here.
inline std::unique_ptr<ScopedNetns> bangerd_netns(const NetnsNeeds& needs, std::string& why) {
  if (auto unavailable = netns_unavailable(needs)) {
    why = *unavailable;
    return nullptr;
  }
  auto netns = std::make_unique<ScopedNetns>(/*enter=*/false);
  ::setenv("BANGER_BANGERD_PREFIX", ("ip netns exec " + netns->name()).c_str(), 1);
  return netns;
}

// The link as `ip -j addr` shows it in the namespace; null when there is none.
inline nlohmann::json link_in(const ScopedNetns& netns, const std::string& name) {
  const auto shown = netns.exec("ip -j addr show dev " + name + " 2>/dev/null");
  if (shown.status != 0) return nlohmann::json();
  auto links = nlohmann::json::parse(shown.out);
  return links.empty() ? nlohmann::json() : links[0];
}

inline bool is_up(const nlohmann::json& link) {
  if (link.is_null()) return false;
  for (const auto& flag : link["flags"])
    if (flag == "UP") return true;
  return false;
}

inline bool is_up_with(const nlohmann::json& link, const std::string& address, int prefix) {
  if (!is_up(link)) return false;
  for (const auto& a : link["addr_info"])
    if (a["family"] == "inet" && a["local"] == address && a["prefixlen"] == prefix) return true;
  return false;
}

// The subnets banger's postrouting chain masquerades; nullopt without banger's table.
inline std::optional<std::set<std::string>> masqueraded(const ScopedNetns& netns) {
  const auto listed = netns.exec("nft -j list ruleset");
  EXPECT_EQ(listed.status, 0) << listed.out;
  bool has_table = false;
  std::set<std::string> subnets;
  const auto ruleset = nlohmann::json::parse(listed.out);
  for (const auto& item : ruleset["nftables"]) {
    if (item.contains("table") && item["table"]["name"] == "banger") has_table = true;
    if (!item.contains("rule") || item["rule"]["table"] != "banger" || item["rule"]["chain"] != "postrouting")
      continue;
    std::string subnet;
    bool masquerade = false;
    for (const auto& expr : item["rule"]["expr"]) {
      masquerade |= expr.contains("masquerade");
      if (expr.contains("match") && expr["match"]["right"].contains("prefix")) {
        const auto& prefix = expr["match"]["right"]["prefix"];
        subnet = prefix["addr"].get<std::string>() + "/" + std::to_string(prefix["len"].get<int>());
      }
    }
    if (masquerade) subnets.insert(subnet);
  }
  if (!has_table) return std::nullopt;
  return subnets;
}

}  // namespace banger::test
