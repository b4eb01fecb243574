// bangerctl ports VM
#include "app.h"
#include "output.h"

#include <iostream>
#include <memory>

namespace bangerctl {

void add_ports_command(Context& ctx) {
  auto ref = std::make_shared<std::string>();
  auto* sub = ctx.app.add_subcommand(
      "ports", "List the ports a running VM's guest listens on (refreshed every few seconds; loopback-only left out)");
  sub->add_option("VM", *ref, ref_help)->required();
  select_with(ctx, sub, ref.get(), [ref, &g = ctx.globals] {
    const auto ports = connect(g).guest_ports(*ref);
    if (g.json) {
      nlohmann::ordered_json all = nlohmann::ordered_json::array();
      for (const auto& p : ports) all.push_back({{"protocol", p.protocol}, {"port", p.port}, {"process", p.process}});
      print_json(all);
      return;
    }
    std::vector<std::vector<std::string>> rows{{"PROTO", "PORT", "PROCESS"}};
    for (const auto& p : ports)
      rows.push_back({p.protocol, std::to_string(p.port), p.process.empty() ? "-" : p.process});
    print_table(std::cout, rows);
  });
}

}  // namespace bangerctl
