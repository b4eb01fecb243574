// bangerctl doctor
#include "app.h"
#include "output.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

namespace bangerctl {

namespace {

// CHECK STATUS SUMMARY, aligned; a warning or failure carries its detail and
// fix on indented lines right below it, where the eye already is.
void print_checks(std::ostream& out, const std::vector<banger::client::DoctorCheck>& checks) {
  std::size_t check_width = 5, status_width = 6;
  for (const auto& c : checks) {
    check_width = std::max(check_width, c.check.size());
    status_width = std::max(status_width, c.status.size());
  }
  out << fmt::format("{:<{}}  {:<{}}  {}\n", "CHECK", check_width, "STATUS", status_width, "SUMMARY");
  const std::string indent(check_width + status_width + 4, ' ');
  for (const auto& c : checks) {
    out << fmt::format("{:<{}}  {:<{}}  {}\n", c.check, check_width, c.status, status_width, c.summary);
    if (c.status == "ok") continue;
    if (!c.detail.empty()) out << indent << "detail: " << c.detail << '\n';
    if (!c.fix.empty()) out << indent << "fix:    " << c.fix << '\n';
  }
}

}  // namespace

void add_doctor_command(Context& ctx) {
  auto* sub = ctx.app.add_subcommand("doctor", "Check what this host and bangerd can run; exits 1 when a check fails");
  select_with(ctx, sub, nullptr, [&g = ctx.globals] {
    const auto checks = connect(g).doctor();
    const auto failed = std::count_if(checks.begin(), checks.end(), [](const auto& c) { return c.status == "fail"; });
    if (g.json) {
      nlohmann::ordered_json all = nlohmann::ordered_json::array();
      for (const auto& c : checks)
        all.push_back({{"check", c.check}, {"status", c.status}, {"summary", c.summary}, {"detail", c.detail}, {"fix", c.fix}});
      print_json(all);
    } else {
      print_checks(std::cout, checks);
    }
    if (failed > 0)
      throw banger::client::Error(banger::client::ErrorCode::failed, {},
                                  fmt::format("{} check{} failed", failed, failed == 1 ? "" : "s"));
  });
}

}  // namespace bangerctl
