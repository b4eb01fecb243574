// bangerctl logs REF [--follow|-f] [--bytes N]
#include "app.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

namespace bangerctl {

namespace {

constexpr std::uint32_t read_size = 1024 * 1024;  // the most one VM.ReadConsole returns
constexpr auto follow_poll = std::chrono::milliseconds(250);

struct LogsArgs {
  std::string ref;
  bool follow = false;
  std::optional<std::uint64_t> bytes;
};

// Raw bytes as the guest wrote them; with --json one object per line, with
// bytes that are not UTF-8 replaced, since JSON strings cannot carry them.
void emit(const banger::client::ConsoleOutput& out, bool json) {
  if (json) {
    nlohmann::ordered_json line{{"data", out.data}, {"next_offset", out.next_offset}};
    std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    std::cout.write(out.data.data(), static_cast<std::streamsize>(out.data.size()));
  }
  std::cout.flush();
}

// Everything kept so far, or its last `bytes`; returns where it ended.
std::uint64_t print_kept(banger::client::Client& client, const LogsArgs& args, bool json) {
  banger::client::ConsoleOutput tail;
  for (std::uint64_t offset = 0;;) {
    auto out = client.read_console(args.ref, offset, read_size);
    if (out.data.empty()) {
      tail.next_offset = out.next_offset;
      break;
    }
    offset = out.next_offset;
    if (!args.bytes) {
      emit(out, json);
      continue;
    }
    tail.data += out.data;
    if (tail.data.size() > *args.bytes) tail.data.erase(0, tail.data.size() - *args.bytes);
  }
  if (args.bytes && (!tail.data.empty() || json)) emit(tail, json);
  return tail.next_offset;
}

}  // namespace

void add_logs_command(Context& ctx) {
  auto args = std::make_shared<LogsArgs>();
  auto* sub = ctx.app.add_subcommand("logs", "Print a VM's serial console log (kept after it stops)");
  sub->add_option("REF", args->ref, ref_help)->required();
  sub->add_flag("-f,--follow", args->follow, "Keep printing new output until the VM stops (or Ctrl-C)");
  sub->add_option("--bytes", args->bytes, "Print only the last N bytes kept")->check(CLI::PositiveNumber);

  select_with(ctx, sub, &args->ref, [args, &g = ctx.globals] {
    auto client = connect(g);
    std::uint64_t offset = print_kept(client, *args, g.json);
    if (!args->follow) return;
    for (;;) {
      std::this_thread::sleep_for(follow_poll);
      // The state before the read: output written until the VMM ended is still printed.
      const bool active = is_active(client.get_vm(args->ref).state);
      auto out = client.read_console(args->ref, offset, read_size);
      offset = out.next_offset;
      if (!out.data.empty()) emit(out, g.json);
      if (!active && out.data.empty()) return;
    }
  });
}

}  // namespace bangerctl
