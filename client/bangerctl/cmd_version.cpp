// bangerctl version
#include "app.h"
#include "output.h"

#include "banger_build_config.h"

#include <iostream>

namespace bangerctl {

void add_version_command(Context& ctx) {
  auto* sub = ctx.app.add_subcommand("version", "Show the versions of bangerctl and bangerd");
  select_with(ctx, sub, nullptr, [&g = ctx.globals] {
    if (!g.json) std::cout << "bangerctl " << BANGER_VERSION << '\n' << std::flush;
    const auto daemon = connect(g).daemon_version();
    if (g.json)
      print_json({{"client", BANGER_VERSION}, {"library", banger::client::library_version()}, {"daemon", daemon}});
    else
      std::cout << "bangerd " << daemon << '\n';
  });
}

}  // namespace bangerctl
