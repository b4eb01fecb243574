#include "net/nat_ruleset.h"

#include <set>

#include "core/errors.h"
#include "net/nat_input.h"

namespace banger {
namespace {

struct CheckedNetwork {
  std::string bridge;
  Subnet subnet;
  bool nat;
};

std::vector<CheckedNetwork> check(const std::vector<NatNetwork>& networks) {
  std::vector<CheckedNetwork> checked;
  std::set<std::string> bridges;
  for (const auto& network : networks) {
    validate_interface_name(network.bridge);
    if (!bridges.insert(network.bridge).second) {
      throw Error(ErrorKind::invalid_args, "bridge '" + network.bridge + "' is named by two networks");
    }
    checked.push_back({network.bridge, parse_subnet(network.subnet), network.nat});
  }
  return checked;
}

std::string table_ref() { return std::string(nat_table_family) + " " + nat_table_name; }

std::string quoted(const std::string& name) { return "\"" + name + "\""; }

std::string postrouting_chain(const std::vector<CheckedNetwork>& networks) {
  std::string chain =
      "\tchain postrouting {\n"
      "\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
  for (const auto& n : networks) {
    if (!n.nat) continue;
    chain += std::string("\t\t") + (n.subnet.ipv6 ? "ip6" : "ip") + " saddr " + n.subnet.cidr + " oifname != " +
             quoted(n.bridge) + " masquerade\n";
  }
  return chain + "\t}\n";
}

// Rule order matters across networks: host-only bridges are cut off first, so
// a NAT network's "accept from my bridge" cannot reach into them; new
// connections into NAT networks are dropped last, after every accept.
std::string forward_chain(const std::vector<CheckedNetwork>& networks) {
  std::string chain =
      "\tchain forward {\n"
      "\t\ttype filter hook forward priority filter; policy accept;\n";
  for (const auto& n : networks) {
    if (n.nat) continue;
    chain += "\t\tiifname " + quoted(n.bridge) + " drop\n";
    chain += "\t\toifname " + quoted(n.bridge) + " drop\n";
  }
  for (const auto& n : networks) {
    if (!n.nat) continue;
    chain += "\t\tiifname " + quoted(n.bridge) + " accept\n";
    chain += "\t\toifname " + quoted(n.bridge) + " ct state established,related accept\n";
  }
  for (const auto& n : networks) {
    if (!n.nat) continue;
    // Connections a port forward (net/port_forward_ruleset.h) steers to a VM
    // are new from outside too; the host asked for them.
    chain += "\t\toifname " + quoted(n.bridge) + " ct status dnat accept\n";
    chain += "\t\toifname " + quoted(n.bridge) + " drop\n";
  }
  return chain + "\t}\n";
}

}  // namespace

std::string nat_apply_script(const std::vector<NatNetwork>& networks) {
  const auto checked = check(networks);
  return nat_remove_script() + "table " + table_ref() + " {\n" + postrouting_chain(checked) +
         forward_chain(checked) + "}\n";
}

std::string nat_remove_script() { return "add table " + table_ref() + "\ndelete table " + table_ref() + "\n"; }

}  // namespace banger
