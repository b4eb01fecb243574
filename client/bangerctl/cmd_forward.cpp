// bangerctl forward REF [tcp|udp:]HOST:GUEST | forward --remove REF [tcp|udp:]HOST[:GUEST] | forwards REF
#include "app.h"
#include "forward_spec.h"
#include "output.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace bangerctl {

namespace {

struct ForwardArgs {
  std::string ref;
  std::string spec;
  bool remove = false;
};

void print_forwards(const std::vector<banger::client::PortForwardInfo>& forwards, bool json) {
  if (json) {
    print_json(forwards_json(forwards));
    return;
  }
  if (forwards.empty()) {
    std::cout << "no forwards\n";
    return;
  }
  std::cout << fmt::format("{:<6} {:>9} {:>10}\n", "PROTO", "HOST", "GUEST");
  for (const auto& f : forwards) std::cout << fmt::format("{:<6} {:>9} {:>10}\n", f.protocol, f.host_port, f.guest_port);
}

}  // namespace

void add_forward_commands(Context& ctx) {
  auto args = std::make_shared<ForwardArgs>();
  auto* sub = ctx.app.add_subcommand(
      "forward", "Forward a host port (1024 and above; 127.0.0.1 and the host's addresses) to a port of the VM's guest");
  sub->add_option("REF", args->ref, ref_help)->required();
  sub->add_option("FORWARD", args->spec, "[tcp|udp:]HOST:GUEST (tcp by default; GUEST defaults to HOST)")->required();
  sub->add_flag("--remove", args->remove, "Remove the forward of HOST instead");
  select_with(ctx, sub, &args->ref, [args, &g = ctx.globals] {
    const auto spec = parse_forward_spec(args->spec);
    auto client = connect(g);
    if (args->remove)
      client.remove_forward(args->ref, spec.protocol, spec.host_port);
    else
      client.forward_port(args->ref, spec.protocol, spec.host_port, spec.guest_port.value_or(spec.host_port));
    if (g.json) print_forwards(client.forwards(args->ref), true);
  });

  auto list_ref = std::make_shared<std::string>();
  auto* list = ctx.app.add_subcommand("forwards", "List a VM's port forwards");
  list->add_option("REF", *list_ref, ref_help)->required();
  select_with(ctx, list, list_ref.get(), [list_ref, &g = ctx.globals] {
    auto client = connect(g);
    print_forwards(client.forwards(*list_ref), g.json);
  });
}

}  // namespace bangerctl
