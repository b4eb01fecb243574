#include "net/port_forward_ruleset.h"

#include <arpa/inet.h>

#include <set>
#include <utility>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/port_forward.h"
#include "net/nat_input.h"

namespace banger {
namespace {

void check(const std::vector<ForwardRule>& rules) {
  std::set<std::pair<std::string, std::uint16_t>> seen;
  for (const auto& rule : rules) {
    validate_forward_protocol(rule.protocol);
    if (rule.host_port == 0 || rule.guest_port == 0)
      throw Error(ErrorKind::invalid_args, fmt::format("forward {} {} → {}: port 0", rule.protocol, rule.host_port,
                                                       rule.guest_port));
    in_addr parsed{};
    if (inet_pton(AF_INET, rule.guest_address.c_str(), &parsed) != 1)
      throw Error(ErrorKind::invalid_args, fmt::format("guest address '{}' is not IPv4", rule.guest_address));
    validate_interface_name(rule.bridge);
    if (!seen.emplace(rule.protocol, rule.host_port).second)
      throw Error(ErrorKind::invalid_args,
                  fmt::format("host port {} ({}) is forwarded twice", rule.host_port, rule.protocol));
  }
}

std::string table_ref() { return std::string(forward_table_family) + " " + forward_table_name; }

std::string dnat_rules(const std::vector<ForwardRule>& rules) {
  std::string out;
  for (const auto& r : rules)
    out += fmt::format("\t\tfib daddr type local {} dport {} dnat to {}:{}\n", r.protocol, r.host_port,
                       r.guest_address, r.guest_port);
  return out;
}

std::string masquerade_rules(const std::vector<ForwardRule>& rules) {
  std::set<std::string> bridges;
  for (const auto& r : rules) bridges.insert(r.bridge);
  std::string out;
  for (const auto& bridge : bridges) {
    out += fmt::format("\t\toifname \"{}\" ip saddr 127.0.0.0/8 ct status dnat masquerade\n", bridge);
    out += fmt::format("\t\tiifname \"{0}\" oifname \"{0}\" ct status dnat masquerade\n", bridge);
  }
  return out;
}

}  // namespace

std::string forward_apply_script(const std::vector<ForwardRule>& rules) {
  check(rules);
  const std::string guard = "type filter hook prerouting priority raw; policy accept;";
  const std::string prerouting = "type nat hook prerouting priority dstnat; policy accept;";
  const std::string output = "type nat hook output priority -100; policy accept;";
  const std::string postrouting = "type nat hook postrouting priority srcnat; policy accept;";
  // The chains are added (a no-op when there) and flushed, not deleted with the table: a
  // base chain going away unregisters its hook, which makes the kernel drop every packet
  // held on a netfilter queue, such as the SYN that wakes a suspended VM (issue 19), whose
  // start brings its forwards back.
  std::string out = "add table " + table_ref() + "\n";
  for (const auto& [chain, spec] : {std::pair{"guard", guard}, std::pair{"prerouting", prerouting},
                                    std::pair{"output", output}, std::pair{"postrouting", postrouting}})
    out += "add chain " + table_ref() + " " + chain + " { " + spec + " }\n";
  return out + "flush table " + table_ref() + "\n" + "table " + table_ref() + " {\n" +
         "\tchain guard {\n"
         "\t\t" + guard + "\n"
         "\t\tiifname != \"lo\" ip daddr 127.0.0.0/8 drop\n"
         "\t\tiifname != \"lo\" ip saddr 127.0.0.0/8 drop\n"
         "\t}\n"
         "\tchain prerouting {\n"
         "\t\t" + prerouting + "\n" +
         dnat_rules(rules) +
         "\t}\n"
         "\tchain output {\n"
         "\t\t" + output + "\n" +
         dnat_rules(rules) +
         "\t}\n"
         "\tchain postrouting {\n"
         "\t\t" + postrouting + "\n" +
         masquerade_rules(rules) + "\t}\n}\n";
}

std::string forward_remove_script() { return "add table " + table_ref() + "\ndelete table " + table_ref() + "\n"; }

}  // namespace banger
