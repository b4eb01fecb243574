#include "app.h"

#include "banger_build_config.h"

#include <iostream>

namespace bangerctl {

namespace {

enum ExitCode {
  exit_ok = 0,
  exit_failure = 1,
  exit_usage = 2,
  exit_not_found = 3,
  exit_denied = 4,
  exit_unreachable = 5,
};

constexpr const char* exit_status_help =
    "Exit status:\n"
    "  0  success\n"
    "  1  failure: backend failed, invalid state, busy, already exists,\n"
    "     resources exhausted, timed out, or any other error\n"
    "  2  usage error or invalid arguments (including ambiguous VM references)\n"
    "  3  VM, image or network not found\n"
    "  4  access denied\n"
    "  5  bangerd unreachable (no system bus, daemon not running or not answering)";

int exit_code_for(banger::client::ErrorCode code) {
  using banger::client::ErrorCode;
  switch (code) {
    case ErrorCode::usage: return exit_usage;
    case ErrorCode::not_found: return exit_not_found;
    case ErrorCode::denied: return exit_denied;
    case ErrorCode::unreachable: return exit_unreachable;
    case ErrorCode::failed:
    case ErrorCode::exists:
    case ErrorCode::invalid_state:
    case ErrorCode::busy:
    case ErrorCode::backend_failed:
    case ErrorCode::resource_exhausted: return exit_failure;
  }
  return exit_failure;
}

}  // namespace

void select_with(Context& ctx, CLI::App* sub, const std::string* subject, std::function<void()> action) {
  sub->callback([sub, &invocation = ctx.invocation, subject, action = std::move(action)] {
    invocation = {sub->get_name(), subject ? *subject : std::string(), action};
  });
}

banger::client::Client connect(const Globals& globals) {
  banger::client::ConnectOptions options;
  options.allow_interactive_authorization = !globals.no_ask_password;
  return banger::client::Client::connect(options);
}

void setup(CLI::App& app, Globals& globals, Invocation& invocation) {
  app.footer(exit_status_help);
  app.require_subcommand(1);
  // Global options are accepted after the verb too: `bangerctl list --json`.
  app.fallthrough();
  app.set_version_flag("--version", BANGER_VERSION);
  app.add_flag("--json", globals.json, "Print machine-readable JSON on stdout");
  app.add_flag("--no-ask-password", globals.no_ask_password,
               "Do not let polkit ask for a password; fail with exit status 4 instead");
  app.add_flag("--no-progress", globals.no_progress, "Do not draw progress bars");

  Context ctx{app, globals, invocation};
  add_create_command(ctx);
  add_clone_command(ctx);
  add_query_commands(ctx);
  add_lifecycle_commands(ctx);
  add_set_command(ctx);
  add_wait_command(ctx);
  add_logs_command(ctx);
  add_version_command(ctx);
  add_doctor_command(ctx);
  add_events_command(ctx);
  add_image_commands(ctx);
  add_network_commands(ctx);
  add_workspace_commands(ctx);
  add_complete_command(ctx);
  add_ssh_commands(ctx);
  add_stats_command(ctx);
  add_top_command(ctx);
  add_ports_command(ctx);
  add_forward_commands(ctx);
  add_console_command(ctx);
  add_snapshot_commands(ctx);
}

int run(const Invocation& invocation) {
  auto report = [&invocation](const char* message) {
    std::cout.flush();
    std::cerr << "bangerctl: " << invocation.verb
              << (invocation.subject.empty() ? "" : " " + invocation.subject) << ": " << message
              << '\n';
  };
  if (!invocation.action) return exit_usage;  // unreachable: a verb is required
  try {
    invocation.action();
    std::cout.flush();
    return std::cout ? exit_ok : exit_failure;
  } catch (const banger::client::Error& e) {
    report(e.what());
    return exit_code_for(e.code());
  } catch (const std::exception& e) {
    report(e.what());
    return exit_failure;
  }
}

int usage_error(const CLI::App& app, const CLI::ParseError& error) {
  std::string help = "bangerctl --help";
  if (const auto verbs = app.get_subcommands(); !verbs.empty())
    help = "bangerctl " + verbs.front()->get_name() + " --help";
  std::cerr << "bangerctl: " << error.what() << " (see '" << help << "')\n";
  return exit_usage;
}

}  // namespace bangerctl
