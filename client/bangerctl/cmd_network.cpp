// bangerctl network create|list|show|nat|rm
#include "app.h"
#include "network_output.h"
#include "output.h"

#include <iostream>
#include <memory>

namespace bangerctl {

namespace {

constexpr const char* name_help = "network name";

struct NetworkArgs {
  std::string name;
  std::string subnet;
  std::string dns_domain;
  bool no_nat = false;
  std::string nat;  // on | off
};

void print_network(const Globals& g, const banger::client::NetworkInfo& network) {
  if (g.json)
    print_json(to_json(network));
  else
    print_network_details(std::cout, network);
}

}  // namespace

void add_network_commands(Context& ctx) {
  auto args = std::make_shared<NetworkArgs>();
  auto* network = ctx.app.add_subcommand("network", "Manage host networks (bridges VMs attach to)");
  network->require_subcommand(1);
  network->fallthrough();
  Context inner{*network, ctx.globals, ctx.invocation};
  const Globals& g = ctx.globals;

  auto* create = network->add_subcommand("create", "Create a network");
  create->add_option("NAME", args->name, "Name: a DNS label of up to 12 characters")->required();
  create->add_option("--subnet", args->subnet, "Private IPv4 subnet in CIDR form (default: the next free /24)");
  create->add_flag("--no-nat", args->no_nat, "Do not masquerade the network's traffic to the outside");
  create->add_option("--dns-domain", args->dns_domain, "DNS domain of its guests (default: banger)");
  select_with(inner, create, &args->name, [args, &g] {
    banger::client::NetworkOptions options;
    if (!args->subnet.empty()) options.subnet = args->subnet;
    if (args->no_nat) options.nat = false;
    if (!args->dns_domain.empty()) options.dns_domain = args->dns_domain;
    print_network(g, connect(g).create_network(args->name, options));
  });

  auto* list = network->add_subcommand("list", "List all networks");
  list->alias("ls");
  select_with(inner, list, nullptr, [&g] {
    const auto networks = connect(g).list_networks();
    if (g.json)
      print_json(to_json(networks));
    else
      print_network_table(std::cout, networks);
  });

  auto* show = network->add_subcommand("show", "Show one network and its address leases");
  show->add_option("NAME", args->name, name_help)->required();
  select_with(inner, show, &args->name, [args, &g] { print_network(g, connect(g).get_network(args->name)); });

  auto* nat = network->add_subcommand("nat", "Turn a network's NAT on or off");
  nat->add_option("NAME", args->name, name_help)->required();
  nat->add_option("STATE", args->nat, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  select_with(inner, nat, &args->name, [args, &g] { connect(g).set_network_nat(args->name, args->nat == "on"); });

  auto* rm = network->add_subcommand("rm", "Delete a network (refused while a VM has an address on it)");
  rm->alias("delete");
  rm->add_option("NAME", args->name, name_help)->required();
  select_with(inner, rm, &args->name, [args, &g] { connect(g).remove_network(args->name); });
}

}  // namespace bangerctl
