// bangerctl snapshot create|list|restore|rm: a VM's named checkpoints (VM.Snapshot).
#include "app.h"
#include "output.h"
#include "progress.h"

#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

namespace bangerctl {

namespace {

struct SnapshotArgs {
  std::string vm;
  std::string name;
};

std::string format_size(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }

nlohmann::ordered_json to_json(const banger::client::SnapshotInfo& s, const std::string& vm_name,
                               const std::string& parent_name) {
  return {{"id", s.id},
          {"name", s.name},
          {"vm", vm_name},
          {"created_at_us", s.created_at_us},
          {"size_bytes", s.size_bytes},
          {"has_memory", s.has_memory},
          {"parent", parent_name},
          {"path", s.path}};
}

// Each checkpoint with its VM's name and its parent's name ("" for none).
void print_snapshots(const Globals& g, banger::client::Client& client,
                     const std::vector<banger::client::SnapshotInfo>& snapshots) {
  std::map<std::string, std::string> vm_names, names;
  for (const auto& vm : client.list_vms()) vm_names[vm.path] = vm.name;
  for (const auto& s : client.list_snapshots()) names[s.path] = s.name;  // parents may be outside `snapshots`
  const auto name_of = [](const std::map<std::string, std::string>& by_path, const std::string& path) {
    auto it = by_path.find(path);
    return it == by_path.end() ? std::string() : it->second;
  };
  if (g.json) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& s : snapshots) out.push_back(to_json(s, name_of(vm_names, s.vm_path), name_of(names, s.parent_path)));
    print_json(out);
    return;
  }
  std::vector<std::vector<std::string>> rows{{"VM", "NAME", "MEMORY", "SIZE", "CREATED", "PARENT"}};
  for (const auto& s : snapshots) {
    const auto parent = name_of(names, s.parent_path);
    rows.push_back({name_of(vm_names, s.vm_path), s.name, s.has_memory ? "yes" : "no", format_size(s.size_bytes),
                    format_local_time(s.created_at_us), parent.empty() ? "-" : parent});
  }
  print_table(std::cout, rows);
}

}  // namespace

void add_snapshot_commands(Context& ctx) {
  auto args = std::make_shared<SnapshotArgs>();
  auto* snapshot = ctx.app.add_subcommand("snapshot", "Take, list, restore and delete a VM's named checkpoints");
  snapshot->require_subcommand(1);
  snapshot->fallthrough();
  Context inner{*snapshot, ctx.globals, ctx.invocation};
  const Globals& g = ctx.globals;

  auto* create = snapshot->add_subcommand(
      "create", "Checkpoint a VM: its disks, and the memory of a running or paused one (which goes on)");
  create->add_option("VM", args->vm, ref_help)->required();
  create->add_option("NAME", args->name, "Name of the checkpoint (unique per VM)")->required();
  select_with(inner, create, &args->vm, [args, &g] {
    auto client = connect(g);
    banger::client::SnapshotInfo taken;
    {
      ProgressBar bar(!g.no_progress);
      taken = client.snapshot_vm(args->vm, args->name,
                                 [&bar](const std::string& stage, double fraction) { bar.update(stage, fraction); });
    }
    if (g.json)
      print_snapshots(g, client, {taken});
    else
      std::cout << taken.id << '\n';
  });

  auto* list = snapshot->add_subcommand("list", "List the checkpoints of one VM, or of all");
  list->alias("ls");
  list->add_option("VM", args->vm, ref_help);
  select_with(inner, list, &args->vm, [args, &g] {
    auto client = connect(g);
    print_snapshots(g, client, client.list_snapshots(args->vm));
  });

  auto* restore = snapshot->add_subcommand(
      "restore", "Put a VM back at a checkpoint (a running VM is killed first; one with memory runs on from it)");
  restore->add_option("VM", args->vm, ref_help)->required();
  restore->add_option("NAME", args->name, "Name of the checkpoint")->required();
  select_with(inner, restore, &args->vm, [args, &g] { connect(g).restore_snapshot(args->vm, args->name); });

  auto* rm = snapshot->add_subcommand("rm", "Delete a checkpoint");
  rm->alias("delete");
  rm->add_option("VM", args->vm, ref_help)->required();
  rm->add_option("NAME", args->name, "Name of the checkpoint")->required();
  select_with(inner, rm, &args->vm, [args, &g] { connect(g).remove_snapshot(args->vm, args->name); });
}

}  // namespace bangerctl
