// bangerctl events (alias watch): bangerd's signals, one line each, until interrupted.
#include "app.h"
#include "output.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <csignal>
#include <iostream>

namespace bangerctl {

namespace {

volatile std::sig_atomic_t interrupted = 0;

// Without SA_RESTART, so the wait for the bus returns at once and the verb exits 0.
void stop_on_signals() {
  struct sigaction action {};
  action.sa_handler = [](int) { interrupted = 1; };
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::string time_text(std::chrono::system_clock::time_point t, bool utc) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  if (utc) return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(seconds), ms);
  return fmt::format("{:%H:%M:%S}.{:03}", fmt::localtime(seconds), ms);
}

std::string subject(const banger::client::Event& e) {
  const std::string kind = e.kind.empty() ? e.interface : e.kind;
  return e.name.empty() ? fmt::format("{} {}", kind, e.path) : fmt::format("{} {}", kind, e.name);
}

std::string value_of(const banger::client::Event& e, const std::string& key) {
  for (const auto& [name, value] : e.changes)
    if (name == key && value) return *value;
  return "";
}

// "" when the event says nothing a person would not already see in another line.
std::string human_line(const banger::client::Event& e) {
  if (e.type == "state") {
    const auto reason = value_of(e, "reason");
    return fmt::format("{}: state {} \u2192 {}{}", subject(e), value_of(e, "old_state"), value_of(e, "new_state"),
                       reason.empty() ? "" : " (" + reason + ")");
  }
  if (e.type == "added") {
    const auto state = value_of(e, e.kind == "operation" ? "Kind" : "State");
    return fmt::format("{}: added{}", subject(e), state.empty() ? "" : " (" + state + ")");
  }
  if (e.type == "removed") return subject(e) + ": removed";
  std::string changes;
  for (const auto& [name, value] : e.changes) {
    if (e.kind == "vm" && name == "State") continue;  // the state line says it, with the reason
    changes += (changes.empty() ? "" : ", ") + (value ? name + "=" + *value : name + " changed");
  }
  return changes.empty() ? "" : subject(e) + ": " + changes;
}

nlohmann::ordered_json json_line(const banger::client::Event& e) {
  nlohmann::ordered_json changes = nlohmann::ordered_json::object();
  for (const auto& [name, value] : e.changes) changes[name] = value ? nlohmann::ordered_json(*value) : nullptr;
  return {{"time", time_text(e.time, true)}, {"type", e.type},   {"path", e.path}, {"interface", e.interface},
          {"kind", e.kind},                   {"name", e.name},   {"changes", changes}};
}

}  // namespace

void add_events_command(Context& ctx) {
  auto* sub = ctx.app.add_subcommand("events", "Follow bangerd's events (objects added and removed, VM state and "
                                               "property changes) until interrupted");
  sub->alias("watch");
  auto vm = std::make_shared<std::string>();
  sub->add_option("--vm", *vm, std::string("only this VM's events: ") + ref_help);
  select_with(ctx, sub, vm.get(), [&g = ctx.globals, vm] {
    auto client = connect(g);
    const std::string only = vm->empty() ? "" : client.get_vm(*vm).path;
    stop_on_signals();
    client.follow_events(
        [&](const banger::client::Event& e) {
          if (!only.empty() && e.path != only) return;
          if (g.json) {
            std::cout << json_line(e).dump() << std::endl;
          } else if (auto line = human_line(e); !line.empty()) {
            std::cout << time_text(e.time, false) << ' ' << line << std::endl;
          }
        },
        [] { return interrupted == 0; },
        [] { std::cerr << "following bangerd's events (Ctrl-C to stop)" << std::endl; });
  });
}

}  // namespace bangerctl
