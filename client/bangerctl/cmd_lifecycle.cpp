// bangerctl start|stop|restart|kill|pause|resume|suspend|delete REF
#include "app.h"

#include <chrono>
#include <memory>

namespace bangerctl {

namespace {

// How long `delete --force` waits for a force-stopped VM to settle.
constexpr auto force_stop_settle = std::chrono::seconds(60);

// Adds a verb whose only input is REF (plus flags added by the caller).
CLI::App* add_ref_verb(Context& ctx, const char* verb, const char* help,
                       const std::shared_ptr<std::string>& ref) {
  auto* sub = ctx.app.add_subcommand(verb, help);
  sub->add_option("REF", *ref, ref_help)->required();
  return sub;
}

}  // namespace

void add_lifecycle_commands(Context& ctx) {
  const auto& g = ctx.globals;
  {
    auto ref = std::make_shared<std::string>();
    auto fresh = std::make_shared<bool>(false);
    auto* sub = add_ref_verb(ctx, "start", "Boot a VM, or restore a suspended one", ref);
    sub->add_flag("--fresh", *fresh, "Boot a suspended VM afresh, dropping its saved state");
    select_with(ctx, sub, ref.get(), [ref, fresh, &g] { connect(g).start(*ref, *fresh); });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    auto* sub = add_ref_verb(ctx, "stop", "Shut a VM down gracefully", ref);
    sub->add_flag("--force", *force, "Stop immediately instead of asking the guest");
    select_with(ctx, sub, ref.get(), [ref, force, &g] { connect(g).stop(*ref, *force); });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto* sub = add_ref_verb(ctx, "restart", "Stop and start a running VM", ref);
    select_with(ctx, sub, ref.get(), [ref, &g] { connect(g).restart(*ref); });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto* sub = add_ref_verb(ctx, "kill", "End a VM's VMM at once (SIGKILL)", ref);
    select_with(ctx, sub, ref.get(), [ref, &g] { connect(g).kill(*ref); });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto* sub = add_ref_verb(ctx, "pause", "Stop a running VM's vCPUs; it keeps its memory, processes and address", ref);
    select_with(ctx, sub, ref.get(), [ref, &g] { connect(g).pause(*ref); });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto* sub = add_ref_verb(ctx, "resume", "Let a paused VM run on where it stopped", ref);
    select_with(ctx, sub, ref.get(), [ref, &g] { connect(g).resume(*ref); });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto* sub = add_ref_verb(ctx, "suspend",
                             "Save a running VM to disk and end its VMM; start brings it back where it was", ref);
    select_with(ctx, sub, ref.get(), [ref, &g] { connect(g).suspend(*ref); });
  }
  {
    auto ref = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    auto* sub = add_ref_verb(ctx, "delete", "Delete a VM and all its resources", ref);
    sub->alias("rm");
    sub->add_flag("--force", *force, "Force-stop the VM first if it is running");
    select_with(ctx, sub, ref.get(), [ref, force, &g] {
      auto client = connect(g);
      if (!*force) return client.remove(*ref);
      // Resolve once so a rename or a new prefix match cannot retarget us.
      const auto vm = client.get_vm(*ref);
      if (is_active(vm.state)) {
        client.stop(vm.id, true);
        if (is_active(client.get_vm(vm.id).state))
          client.wait_for_state(vm.id, "stopped", force_stop_settle);
      }
      client.remove(vm.id);
    });
  }
}

}  // namespace bangerctl
