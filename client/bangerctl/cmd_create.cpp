// bangerctl create NAME [--vcpus N] [--memory MIB] [--image REF] [--backend NAME] [--network NAME] [--disk MIB] [--work-disk MIB] [--keep-work-disk] [--forward-ports] [--autostart] [--idle-suspend DURATION] [--workspace DIR] [--start]
#include "app.h"
#include "duration_option.h"
#include "output.h"
#include "progress.h"
#include "workspace_push.h"

#include <iostream>
#include <memory>

namespace bangerctl {

namespace {

struct CreateArgs {
  std::string name;
  std::uint32_t vcpus = 0;
  std::uint32_t memory_mib = 0;
  std::string image;
  std::string backend;
  std::string network;
  std::uint32_t disk_mib = 0;
  std::uint32_t work_disk_mib = 0;
  bool keep_work_disk = false;
  bool forward_ports = false;
  bool autostart = false;
  std::uint32_t idle_suspend_s = 0;
  bool start = false;
  std::string workspace;
  CLI::Option* vcpus_opt = nullptr;
  CLI::Option* memory_opt = nullptr;
  CLI::Option* image_opt = nullptr;
  CLI::Option* backend_opt = nullptr;
  CLI::Option* network_opt = nullptr;
  CLI::Option* disk_opt = nullptr;
  CLI::Option* work_disk_opt = nullptr;
  CLI::Option* idle_suspend_opt = nullptr;
};

// After create or clone: start the new VM if asked, then print it (its id, or JSON).
void finish_new_vm(banger::client::Client& client, const Globals& g, banger::client::VmInfo vm, bool start) {
  if (start) {
    client.start(vm.id);
    vm = client.get_vm(vm.id);
  }
  if (g.json)
    print_json(to_json(vm));
  else
    std::cout << vm.id << '\n';
}

}  // namespace

void add_create_command(Context& ctx) {
  auto args = std::make_shared<CreateArgs>();
  auto* sub = ctx.app.add_subcommand("create", "Create a VM (and optionally start it)");
  sub->add_option("NAME", args->name, "Name of the new VM")->required();
  args->vcpus_opt = sub->add_option("--vcpus", args->vcpus, "Number of virtual CPUs");
  args->memory_opt = sub->add_option("--memory", args->memory_mib, "Memory in MiB");
  args->image_opt = sub->add_option("--image", args->image, "Image id, name or unique prefix (default: the default image)");
  args->backend_opt = sub->add_option("--backend", args->backend, "VMM backend (firecracker, qemu; default: the daemon's)");
  args->network_opt = sub->add_option("--network", args->network, "Network to attach to (default: default)");
  args->disk_opt = sub->add_option("--disk", args->disk_mib, "Root disk size in MiB (default: the image's)");
  args->work_disk_opt = sub->add_option("--work-disk", args->work_disk_mib, "Work disk (/work) size in MiB (default 8192)");
  sub->add_flag("--keep-work-disk", args->keep_work_disk, "Keep the work disk when the VM is deleted");
  sub->add_flag("--forward-ports", args->forward_ports,
                "Forward every port the guest listens on (1024 and above) to the same host port");
  sub->add_flag("--autostart", args->autostart, "Start the VM after each host boot (bangerd starts at boot for it)");
  args->idle_suspend_opt = add_idle_suspend_option(sub, args->idle_suspend_s);
  sub->add_option("--workspace", args->workspace,
                  "Push this folder to /work/<its name> before any start (a git checkout: tracked files and .git)");
  sub->add_flag("--start", args->start, "Start the VM once it is created");

  select_with(ctx, sub, &args->name, [args, &g = ctx.globals] {
    banger::client::CreateOptions options;
    // Only options given on the command line are sent; the daemon picks defaults.
    if (args->vcpus_opt->count() > 0) options.vcpus = args->vcpus;
    if (args->memory_opt->count() > 0) options.memory_mib = args->memory_mib;
    if (args->image_opt->count() > 0) options.image = args->image;
    if (args->backend_opt->count() > 0) options.backend = args->backend;
    if (args->network_opt->count() > 0) options.network = args->network;
    if (args->disk_opt->count() > 0) options.disk_mib = args->disk_mib;
    if (args->work_disk_opt->count() > 0) options.work_disk_mib = args->work_disk_mib;
    if (args->keep_work_disk) options.keep_work_disk = true;
    if (args->forward_ports) options.forward_ports = true;
    if (args->autostart) options.autostart = true;
    if (args->idle_suspend_opt->count() > 0) options.idle_suspend_s = args->idle_suspend_s;

    auto client = connect(g);
    banger::client::VmInfo vm;
    {
      ProgressBar bar(!g.no_progress);
      vm = client.create_vm(args->name, options,
                            [&bar](const std::string& stage, double fraction) { bar.update(stage, fraction); });
    }
    if (!args->workspace.empty()) {
      banger::client::WorkspacePushOptions push;
      push.target = default_target(args->workspace);
      push_folder(client, g, vm.id, args->workspace, push);
    }
    finish_new_vm(client, g, vm, args->start);
  });
}

void add_clone_command(Context& ctx) {
  auto ref = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto start = std::make_shared<bool>(false);
  auto from = std::make_shared<std::string>();
  auto* sub = ctx.app.add_subcommand(
      "clone", "Copy a stopped VM, or any VM's checkpoint (copy-on-write disks, a new address and identity)");
  sub->add_option("REF", *ref, ref_help)->required();
  sub->add_option("NEW_NAME", *name, "Name of the copy")->required();
  sub->add_option("--from", *from,
                  "Copy the disks of the VM's checkpoint of this name (the VM may run meanwhile); the copy boots afresh");
  sub->add_flag("--start", *start, "Start the copy once it is made");
  select_with(ctx, sub, ref.get(), [ref, name, start, from, &g = ctx.globals] {
    auto client = connect(g);
    banger::client::VmInfo vm;
    {
      ProgressBar bar(!g.no_progress);
      auto report = [&bar](const std::string& stage, double fraction) { bar.update(stage, fraction); };
      vm = from->empty() ? client.clone_vm(*ref, *name, report) : client.clone_snapshot(*ref, *from, *name, report);
    }
    finish_new_vm(client, g, vm, *start);
  });
}

}  // namespace bangerctl
