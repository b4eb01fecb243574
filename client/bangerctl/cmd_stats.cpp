// bangerctl stats [VM…]
#include "app.h"
#include "output.h"
#include "stats_output.h"

#include <iostream>
#include <memory>

namespace bangerctl {

void add_stats_command(Context& ctx) {
  auto refs = std::make_shared<std::vector<std::string>>();
  auto* sub = ctx.app.add_subcommand("stats", "Show the VMs' CPU, memory, disk and network use (all VMs by default)");
  sub->add_option("VM", *refs, ref_help);
  select_with(ctx, sub, nullptr, [refs, &g = ctx.globals] {
    auto client = connect(g);
    std::vector<banger::client::VmStats> vms;
    if (refs->empty()) {
      vms = client.list_stats();
    } else {
      for (const auto& ref : *refs) vms.push_back(client.get_stats(ref));
    }
    if (g.json)
      print_json(to_json(vms));
    else
      print_table(std::cout, stats_rows(vms));
  });
}

}  // namespace bangerctl
