#include "net/wake_ruleset.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/errors.h"
#include "core/ipv4.h"

namespace banger {
namespace {

void check(const std::vector<WakeRule>& rules) {
  for (const auto& rule : rules) {
    if (!net::parse_ipv4(rule.address))
      throw Error(ErrorKind::invalid_args, fmt::format("wake address '{}' is not IPv4", rule.address));
    for (auto port : rule.host_ports)
      if (port == 0) throw Error(ErrorKind::invalid_args, fmt::format("wake rule for {}: port 0", rule.address));
  }
}

std::string table_ref() { return std::string(wake_table_family) + " " + wake_table_name; }

std::string queue_rules(const std::vector<WakeRule>& rules, std::uint16_t queue_num) {
  const std::string first_segment = "tcp flags & (syn | ack) == syn";
  const std::string queue = fmt::format("queue num {} bypass", queue_num);
  std::string out;
  for (const auto& r : rules) {
    out += fmt::format("\t\tip daddr {} {} {}\n", r.address, first_segment, queue);
    if (r.host_ports.empty()) continue;
    out += fmt::format("\t\tfib daddr type local tcp dport {{ {} }} {} {}\n", fmt::join(r.host_ports, ", "),
                       first_segment, queue);
  }
  return out;
}

}  // namespace

std::string wake_apply_script(const std::vector<WakeRule>& rules, std::uint16_t queue_num) {
  check(rules);
  const auto body = queue_rules(rules, queue_num);
  const std::string prerouting = "type filter hook prerouting priority raw; policy accept;";
  const std::string output = "type filter hook output priority raw; policy accept;";
  // The chains are added (a no-op when they are there) and flushed, never deleted: a base
  // chain going away unregisters its hook, and the kernel then drops every packet held on
  // any queue of the namespace, the SYN this table exists for among them.
  return "add table " + table_ref() + "\n" +
         "add chain " + table_ref() + " prerouting { " + prerouting + " }\n" +
         "add chain " + table_ref() + " output { " + output + " }\n" +
         "flush table " + table_ref() + "\n" +
         "table " + table_ref() + " {\n"
         "\tchain prerouting {\n"
         "\t\t" + prerouting + "\n" +
         body +
         "\t}\n"
         "\tchain output {\n"
         "\t\t" + output + "\n" +
         body + "\t}\n}\n";
}

std::string wake_remove_script() { return "add table " + table_ref() + "\ndelete table " + table_ref() + "\n"; }

}  // namespace banger
