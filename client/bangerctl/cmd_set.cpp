// bangerctl set REF [--name N] [--vcpus N] [--memory MIB] [--disk MIB] [--work-disk MIB] [--keep-work-disk on|off] [--forward-ports on|off] [--autostart on|off] [--idle-suspend DURATION]
#include "app.h"
#include "duration_option.h"
#include "output.h"

#include <memory>

namespace bangerctl {

namespace {

struct SetArgs {
  std::string ref;
  std::string name;
  std::uint32_t vcpus = 0;
  std::uint32_t memory_mib = 0;
  std::uint32_t disk_mib = 0;
  std::uint32_t work_disk_mib = 0;
  bool keep_work_disk = false;
  bool forward_ports = false;
  bool autostart = false;
  std::uint32_t idle_suspend_s = 0;
  CLI::Option* name_opt = nullptr;
  CLI::Option* vcpus_opt = nullptr;
  CLI::Option* memory_opt = nullptr;
  CLI::Option* disk_opt = nullptr;
  CLI::Option* work_disk_opt = nullptr;
  CLI::Option* keep_opt = nullptr;
  CLI::Option* forward_ports_opt = nullptr;
  CLI::Option* autostart_opt = nullptr;
  CLI::Option* idle_suspend_opt = nullptr;
};

}  // namespace

void add_set_command(Context& ctx) {
  auto args = std::make_shared<SetArgs>();
  auto* sub = ctx.app.add_subcommand("set", "Change a VM's settings (vcpus, memory and disks only while not running)");
  sub->add_option("REF", args->ref, ref_help)->required();
  args->name_opt = sub->add_option("--name", args->name, "New name");
  args->vcpus_opt = sub->add_option("--vcpus", args->vcpus, "Number of virtual CPUs");
  args->memory_opt = sub->add_option("--memory", args->memory_mib, "Memory in MiB");
  args->disk_opt = sub->add_option("--disk", args->disk_mib, "Grow the root disk to MiB");
  args->work_disk_opt = sub->add_option("--work-disk", args->work_disk_mib, "Grow the work disk to MiB");
  args->keep_opt = sub->add_option("--keep-work-disk", args->keep_work_disk, "Keep the work disk on delete (on|off)");
  args->forward_ports_opt = sub->add_option("--forward-ports", args->forward_ports,
                                            "Forward the guest's listening ports automatically (on|off)");
  args->autostart_opt = sub->add_option("--autostart", args->autostart, "Start the VM after each host boot (on|off)");
  args->idle_suspend_opt = add_idle_suspend_option(sub, args->idle_suspend_s);

  select_with(ctx, sub, &args->ref, [args, &g = ctx.globals] {
    banger::client::VmChanges changes;
    if (args->name_opt->count() > 0) changes.name = args->name;
    if (args->vcpus_opt->count() > 0) changes.vcpus = args->vcpus;
    if (args->memory_opt->count() > 0) changes.memory_mib = args->memory_mib;
    if (args->disk_opt->count() > 0) changes.disk_mib = args->disk_mib;
    if (args->work_disk_opt->count() > 0) changes.work_disk_mib = args->work_disk_mib;
    if (args->keep_opt->count() > 0) changes.keep_work_disk = args->keep_work_disk;
    if (args->forward_ports_opt->count() > 0) changes.forward_ports = args->forward_ports;
    if (args->autostart_opt->count() > 0) changes.autostart = args->autostart;
    if (args->idle_suspend_opt->count() > 0) changes.idle_suspend_s = args->idle_suspend_s;
    if (!changes.name && !changes.vcpus && !changes.memory_mib && !changes.disk_mib && !changes.work_disk_mib &&
        !changes.keep_work_disk && !changes.forward_ports && !changes.autostart &&
        !changes.idle_suspend_s)
      throw banger::client::Error(banger::client::ErrorCode::usage, {},
                                  "nothing to change: give --name, --vcpus, --memory, --disk, --work-disk, "
                                  "--keep-work-disk, --forward-ports, --autostart or --idle-suspend");

    auto client = connect(g);
    // Pin the id first: after a rename the old ref may no longer resolve.
    const auto id = client.get_vm(args->ref).id;
    client.set(id, changes);
    if (g.json) print_json(to_json(client.get_vm(id)));
  });
}

}  // namespace bangerctl
