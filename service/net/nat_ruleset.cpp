#include "net/nat_ruleset.h"

#include <arpa/inet.h>

#include <set>

#include "core/errors.h"
#include "net/nat_input.h"

namespace banger {
namespace {

struct CheckedNetwork {
  std::string bridge;
  Subnet subnet;
  bool nat;
  std::string gateway_match;  // "ip daddr 10.201.0.1"
};

// The gateway is the subnet's first address (NetworkManager gives every
// network that one); as an nft match.
std::string gateway_match(const Subnet& subnet) {
  const std::string network = subnet.cidr.substr(0, subnet.cidr.find('/'));
  unsigned char address[16] = {};
  const int family = subnet.ipv6 ? AF_INET6 : AF_INET;
  if (inet_pton(family, network.c_str(), address) != 1)
    throw Error(ErrorKind::internal, "internal: subnet '" + subnet.cidr + "' has no address");
  for (int i = subnet.ipv6 ? 15 : 3; i >= 0 && ++address[i] == 0; --i) {
  }
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, address, text, sizeof text);
  return std::string(subnet.ipv6 ? "ip6" : "ip") + " daddr " + text;
}

std::vector<CheckedNetwork> check(const std::vector<NatNetwork>& networks) {
  std::vector<CheckedNetwork> checked;
  std::set<std::string> bridges;
  for (const auto& network : networks) {
    validate_interface_name(network.bridge);
    if (!bridges.insert(network.bridge).second) {
      throw Error(ErrorKind::invalid_args, "bridge '" + network.bridge + "' is named by two networks");
    }
    const auto subnet = parse_subnet(network.subnet);
    checked.push_back({network.bridge, subnet, network.nat, gateway_match(subnet)});
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
// a NAT network's "accept from my bridge" cannot reach into them. Then, for
// every NAT network, what may come in: its own guests' traffic, answers and
// port-forwarded connections; the rest into it is dropped before any "accept
// from my bridge", so a guest of one NAT network never opens a connection into
// another (another user's VMs) however the host routes between its bridges.
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
    // Guests of one network reach each other: bridged traffic meets this chain
    // only where the host runs bridged IPv4 through it (br_netfilter).
    chain += "\t\tiifname " + quoted(n.bridge) + " oifname " + quoted(n.bridge) + " accept\n";
    chain += "\t\toifname " + quoted(n.bridge) + " ct state established,related accept\n";
    // Connections a port forward (net/port_forward_ruleset.h) steers to a VM
    // are new from outside too; the host asked for them.
    chain += "\t\toifname " + quoted(n.bridge) + " ct status dnat accept\n";
    chain += "\t\toifname " + quoted(n.bridge) + " drop\n";
  }
  for (const auto& n : networks) {
    if (!n.nat) continue;
    chain += "\t\tiifname " + quoted(n.bridge) + " accept\n";
  }
  return chain + "\t}\n";
}

// Guests may reach the host itself only for what banger serves them on their
// bridge: DHCP, and DNS on the gateway address (another host address may have
// a resolver of its own, which is the host's business). Answers to the host's
// own connections (SSH into the guest) and port-forwarded connections pass;
// ICMP echo to the gateway passes as a harmless diagnostic, and IPv6 neighbour
// discovery as IPv6 needs it. Everything else from a banger bridge is dropped,
// whichever host address it was sent to.
std::string input_chain(const std::vector<CheckedNetwork>& networks) {
  std::string chain =
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy accept;\n";
  for (const auto& n : networks) {
    const std::string from = "\t\tiifname " + quoted(n.bridge) + " ";
    chain += from + "ct state established,related accept\n";
    chain += from + "ct status dnat accept\n";
    chain += from + "udp dport 67 accept\n";
    chain += from + n.gateway_match + " udp dport 53 accept\n";
    chain += from + n.gateway_match + " tcp dport 53 accept\n";
    chain += from + n.gateway_match + (n.subnet.ipv6 ? " icmpv6" : " icmp") + " type echo-request accept\n";
    chain += from + "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept\n";
    chain += from + "drop\n";
  }
  return chain + "\t}\n";
}

}  // namespace

std::string nat_apply_script(const std::vector<NatNetwork>& networks) {
  const auto checked = check(networks);
  return nat_remove_script() + "table " + table_ref() + " {\n" + postrouting_chain(checked) +
         forward_chain(checked) + input_chain(checked) + "}\n";
}

std::string nat_remove_script() { return "add table " + table_ref() + "\ndelete table " + table_ref() + "\n"; }

}  // namespace banger
