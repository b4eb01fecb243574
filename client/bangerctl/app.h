#pragma once
// Shared plumbing for bangerctl's verbs: global options, how a parsed verb is
// handed back to main, connection setup and exit codes.

#include "banger/client.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace bangerctl {

struct Globals {
  bool json = false;
  bool no_ask_password = false;
  bool no_progress = false;
};

// The verb chosen on the command line. Verbs run after CLI11 has finished, so
// their errors are reported in bangerctl's own format rather than CLI11's.
struct Invocation {
  std::string verb;
  std::string subject;  // the ref or name, quoted in error messages
  std::function<void()> action;
};

// How every verb describes its REF argument.
inline constexpr const char* ref_help = "VM id, name, or unique prefix of either";

// A VM in one of these states has a VMM process.
inline bool is_active(const std::string& state) {
  return state == "running" || state == "paused" || state == "starting" || state == "stopping";
}

// What each add_*_command gets to register its verbs with.
struct Context {
  CLI::App& app;
  const Globals& globals;
  Invocation& invocation;
};

// Makes sub, once parsed, the Invocation to run; *subject is read after parsing.
// (Not named bind: ADL would pick std::bind for std::string* arguments.)
void select_with(Context& ctx, CLI::App* sub, const std::string* subject, std::function<void()> action);

banger::client::Client connect(const Globals& globals);

// Builds the whole command line: global options, help footer and every verb.
void setup(CLI::App& app, Globals& globals, Invocation& invocation);

// Runs the chosen verb and turns any error into one stderr line and an exit code.
int run(const Invocation& invocation);

// Reports a command-line parse error; returns the usage exit code.
int usage_error(const CLI::App& app, const CLI::ParseError& error);

void add_create_command(Context& ctx);
void add_complete_command(Context& ctx);  // __complete: the shell completion's back end
void add_clone_command(Context& ctx);
void add_query_commands(Context& ctx);      // list, show
void add_lifecycle_commands(Context& ctx);  // start, stop, restart, kill, pause, resume, suspend, delete
void add_set_command(Context& ctx);
void add_wait_command(Context& ctx);
void add_logs_command(Context& ctx);
void add_version_command(Context& ctx);
void add_doctor_command(Context& ctx);
void add_events_command(Context& ctx);  // events (alias watch)
void add_image_commands(Context& ctx);      // image build, list, show, import, default, rm
void add_network_commands(Context& ctx);    // network create, list, show, nat, rm
void add_workspace_commands(Context& ctx);  // workspace push, pull
void add_ssh_commands(Context& ctx);        // ssh, exec
void add_stats_command(Context& ctx);
void add_top_command(Context& ctx);
void add_ports_command(Context& ctx);
void add_forward_commands(Context& ctx);    // forward [--remove], forwards
void add_console_command(Context& ctx);
void add_snapshot_commands(Context& ctx);  // snapshot create, list, restore, rm

}  // namespace bangerctl
