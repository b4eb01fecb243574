// bangerctl list|ls, bangerctl show REF
#include <fmt/format.h>

#include "app.h"
#include "output.h"

#include <iostream>
#include <memory>

namespace bangerctl {

void add_query_commands(Context& ctx) {
  auto* list = ctx.app.add_subcommand("list", "List all VMs");
  list->alias("ls");
  select_with(ctx, list, nullptr, [&g = ctx.globals] {
    const auto vms = connect(g).list_vms();
    if (g.json)
      print_json(to_json(vms));
    else
      print_vm_table(std::cout, vms);
  });

  auto ref = std::make_shared<std::string>();
  auto* show = ctx.app.add_subcommand("show", "Show the details of one VM");
  show->add_option("REF", *ref, ref_help)->required();
  select_with(ctx, show, ref.get(), [ref, &g = ctx.globals] {
    auto client = connect(g);
    const auto vm = client.get_vm(*ref);
    if (g.json) {
      print_json(to_json(vm));
      return;
    }
    // The VM records its image's id; people know images by name.
    std::string image = vm.image;
    try {
      if (!vm.image.empty()) image = fmt::format("{} ({})", client.get_image(vm.image).name, vm.image);
    } catch (const banger::client::Error& e) {
      if (e.code() != banger::client::ErrorCode::not_found) throw;  // deleted since: the id is all there is
    }
    print_vm_details(std::cout, vm, image);
  });
}

}  // namespace bangerctl
