// bangerctl doctor
#include "app.h"
#include "output.h"

#include <fmt/format.h>

#include <iostream>

namespace bangerctl {

void add_doctor_command(Context& ctx) {
  auto* sub = ctx.app.add_subcommand("doctor", "Check what this host and bangerd can run; fails when a check fails");
  select_with(ctx, sub, nullptr, [&g = ctx.globals] {
    const auto checks = connect(g).doctor();
    int failed = 0;
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    std::vector<std::vector<std::string>> rows{{"CHECK", "STATUS", "SUMMARY"}};
    for (const auto& c : checks) {
      failed += c.status == "fail";
      all.push_back({{"check", c.check}, {"status", c.status}, {"summary", c.summary}, {"detail", c.detail}, {"fix", c.fix}});
      rows.push_back({c.check, c.status, c.summary});
    }
    if (g.json) {
      print_json(all);
    } else {
      print_table(std::cout, rows);
      for (const auto& c : checks) {
        if (c.fix.empty()) continue;
        std::cout << fmt::format("\n{}: {}\n", c.check, c.fix);
        if (!c.detail.empty()) std::cout << fmt::format("  ({})\n", c.detail);
      }
    }
    if (failed > 0)
      throw banger::client::Error(banger::client::ErrorCode::failed, {},
                                  fmt::format("{} check{} failed", failed, failed == 1 ? "" : "s"));
  });
}

}  // namespace bangerctl
