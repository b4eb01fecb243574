// bangerctl wait REF STATE [--timeout SECONDS]
#include "app.h"

#include <chrono>
#include <memory>

namespace bangerctl {

namespace {

struct WaitArgs {
  std::string ref;
  std::string state;
  double timeout_s = 60;
};

}  // namespace

void add_wait_command(Context& ctx) {
  auto args = std::make_shared<WaitArgs>();
  auto* sub = ctx.app.add_subcommand("wait", "Wait until a VM reaches a state");
  sub->add_option("REF", args->ref, ref_help)->required();
  sub->add_option("STATE", args->state, "State to wait for")
      ->required()
      ->check(CLI::IsMember({"creating", "created", "starting", "running", "paused", "suspended", "stopping", "stopped", "failed"}));
  sub->add_option("--timeout", args->timeout_s, "Give up after this many seconds (exit status 1)")
      ->check(CLI::Range(0.0, 1.0e8))
      ->capture_default_str();

  select_with(ctx, sub, &args->ref, [args, &g = ctx.globals] {
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(args->timeout_s));
    connect(g).wait_for_state(args->ref, args->state, timeout);
  });
}

}  // namespace bangerctl
