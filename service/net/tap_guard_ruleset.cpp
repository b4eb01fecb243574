#include "net/tap_guard_ruleset.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/ipv4.h"
#include "net/taps.h"

namespace banger {

namespace {

constexpr const char* table = "bridge banger_guard";

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// "02:00:00:00:00:0a": six lowercase pairs, unicast.
bool is_unicast_mac(const std::string& mac) {
  if (mac.size() != 17) return false;
  for (std::size_t i = 0; i < mac.size(); ++i)
    if (i % 3 == 2 ? mac[i] != ':' : !is_hex(mac[i])) return false;
  const int first = std::stoi(mac.substr(0, 2), nullptr, 16);
  return (first & 1) == 0;
}

void validate(const TapGuard& guard) {
  // Each goes into the script as it is: only exact forms are let in.
  if (!net::is_tap_name(guard.tap))
    throw Error(ErrorKind::invalid_args, fmt::format("'{}' is not a banger tap name", guard.tap));
  if (!is_unicast_mac(guard.mac))
    throw Error(ErrorKind::invalid_args, fmt::format("tap {}: '{}' is not a unicast MAC address", guard.tap, guard.mac));
  const auto address = net::parse_ipv4(guard.address);
  if (!address || net::to_string_ipv4(*address) != guard.address || guard.address == "0.0.0.0")
    throw Error(ErrorKind::invalid_args, fmt::format("tap {}: '{}' is not an IPv4 address", guard.tap, guard.address));
}

// What a guarded tap's own chain holds, a rule a line.
std::vector<std::string> chain_rules(const TapGuard& g) {
  return {fmt::format("ether saddr != {} drop", g.mac),
          // 0.0.0.0: an address probe (RFC 5227), which claims no address.
          fmt::format("ether type arp arp saddr ether {} arp saddr ip {{ {}, 0.0.0.0 }} accept", g.mac, g.address),
          fmt::format("ether type ip ip saddr {} accept", g.address), "drop"};
}

// Sends the tap's frames to its chain (prerouting).
std::string jump_rule(const TapGuard& g) { return fmt::format("iifname \"{0}\" jump from_{0}", g.tap); }

// Keeps an isolated tap's frames from every other banger tap (forward).
std::string isolation_rule(const TapGuard& g) {
  return fmt::format("iifname \"{}\" oifname \"{}*\" drop", g.tap, net::tap_prefix);
}

}  // namespace

std::string tap_guard_apply_script(const std::vector<TapGuard>& guards) {
  for (const auto& guard : guards) validate(guard);
  // Declared, deleted and declared again: one transaction replaces the whole table.
  std::string script = fmt::format("table {0}\ndelete table {0}\ntable {0} {{\n", table);
  // Before anything else on the bridge sees the frame.
  script += "  chain prerouting {\n    type filter hook prerouting priority -300; policy accept;\n";
  for (const auto& g : guards) script += "    " + jump_rule(g) + "\n";
  script += fmt::format("    iifname \"{}*\" drop\n  }}\n", net::tap_prefix);
  for (const auto& g : guards) {
    script += fmt::format("  chain from_{} {{\n", g.tap);
    for (const auto& rule : chain_rules(g)) script += "    " + rule + "\n";
    script += "  }\n";
  }
  script += "  chain forward {\n    type filter hook forward priority 0; policy accept;\n";
  for (const auto& g : guards)
    if (g.isolated) script += "    " + isolation_rule(g) + "\n";
  script += "  }\n}\n";
  return script;
}

std::string tap_guard_add_script(const TapGuard& guard) {
  validate(guard);
  std::string script = fmt::format("add chain {} from_{}\n", table, guard.tap);
  for (const auto& rule : chain_rules(guard)) script += fmt::format("add rule {} from_{} {}\n", table, guard.tap, rule);
  // Inserted: ahead of the closing "bgt*" drop, which must stay last.
  script += fmt::format("insert rule {} prerouting {}\n", table, jump_rule(guard));
  if (guard.isolated) script += fmt::format("add rule {} forward {}\n", table, isolation_rule(guard));
  return script;
}

std::string tap_guard_remove_script() { return fmt::format("table {0}\ndelete table {0}\n", table); }

}  // namespace banger
