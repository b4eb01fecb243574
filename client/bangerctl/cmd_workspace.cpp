// bangerctl workspace push VM DIR [--all] [--target NAME] [--replace]
// bangerctl workspace pull VM DIR [--source NAME]
#include "app.h"
#include "progress.h"
#include "workspace_push.h"

#include <filesystem>
#include <iostream>
#include <memory>

namespace bangerctl {

namespace {

struct WorkspaceArgs {
  std::string ref;
  std::string dir;
  bool all = false;
  std::string target;
  bool replace = false;
  std::string source;
  CLI::Option* target_opt = nullptr;
  CLI::Option* source_opt = nullptr;
};

}  // namespace

std::string default_target(const std::string& dir) {
  auto name = std::filesystem::weakly_canonical(std::filesystem::absolute(dir)).filename().string();
  return name == "/" ? std::string() : name;
}

void push_folder(banger::client::Client& client, const Globals& g, const std::string& ref, const std::string& dir,
                 const banger::client::WorkspacePushOptions& options) {
  ProgressBar bar(!g.no_progress);
  client.push_workspace(ref, dir, options,
                        [&bar](const std::string& stage, double fraction) { bar.update(stage, fraction); });
}

void add_workspace_commands(Context& ctx) {
  auto* workspace = ctx.app.add_subcommand("workspace", "Copy folders into and out of a VM's work disk (/work)");
  workspace->require_subcommand(1);

  auto push_args = std::make_shared<WorkspaceArgs>();
  auto* push = workspace->add_subcommand(
      "push", "Send a folder (a git checkout: its tracked files and .git) to /work/<its name> in the VM");
  push->add_option("VM", push_args->ref, ref_help)->required();
  push->add_option("DIR", push_args->dir, "The folder to send (read with your own rights)")->required();
  push->add_flag("--all", push_args->all, "Send everything in the folder, not only what git tracks");
  push_args->target_opt =
      push->add_option("--target", push_args->target, "Directory under /work (default: the folder's name)");
  push->add_flag("--replace", push_args->replace, "Remove the target directory first");
  select_with(ctx, push, &push_args->ref, [push_args, &g = ctx.globals] {
    banger::client::WorkspacePushOptions options;
    options.all = push_args->all;
    options.target = push_args->target_opt->count() > 0 ? push_args->target : default_target(push_args->dir);
    options.replace = push_args->replace;
    auto client = connect(g);
    push_folder(client, g, push_args->ref, push_args->dir, options);
  });

  auto pull_args = std::make_shared<WorkspaceArgs>();
  auto* pull = workspace->add_subcommand("pull", "Fetch a directory of /work from the VM into a folder");
  pull->add_option("VM", pull_args->ref, ref_help)->required();
  pull->add_option("DIR", pull_args->dir, "The folder to write into (made when missing)")->required();
  pull_args->source_opt =
      pull->add_option("--source", pull_args->source, "Directory under /work (default: the folder's name)");
  select_with(ctx, pull, &pull_args->ref, [pull_args, &g = ctx.globals] {
    banger::client::WorkspacePullOptions options;
    options.source = pull_args->source_opt->count() > 0 ? pull_args->source : default_target(pull_args->dir);
    auto client = connect(g);
    ProgressBar bar(!g.no_progress);
    client.pull_workspace(pull_args->ref, pull_args->dir, options,
                          [&bar](const std::string& stage, double fraction) { bar.update(stage, fraction); });
  });
}

}  // namespace bangerctl
