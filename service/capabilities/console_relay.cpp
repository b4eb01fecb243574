#include "capabilities/console_relay.h"

#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "console/relay_protocol.h"
#include "core/atomic_file.h"
#include "core/errors.h"
#include "store/json_numbers.h"
#include "core/log.h"

namespace banger {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* record_name = "console-relay.json";
constexpr auto ready_timeout = 5s;
// Time to drain the guest's last output into the log before a SIGKILL.
constexpr auto stop_grace = 2000ms;

std::optional<ProcessId> read_record(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("pid") || !j.contains("start_time")) return std::nullopt;
  try {
    return ProcessId{required_json_integer<pid_t>(j, "pid"), required_json_integer<std::uint64_t>(j, "start_time")};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string read_tty(const fs::path& file) {
  std::ifstream in(file);
  std::string path;
  std::getline(in, path);
  return path;
}

}  // namespace

ConsoleRelayCapability::ConsoleRelayCapability(fs::path relay_binary, fs::path runtime_dir)
    : binary_(std::move(relay_binary)), vms_dir_(std::move(runtime_dir) / "vms") {}

fs::path ConsoleRelayCapability::dir_of(const std::string& vm_id) const { return vms_dir_ / vm_id; }

void ConsoleRelayCapability::prepare_host(const VmRecord& vm) {
  const fs::path dir = dir_of(vm.id);
  std::error_code ignored;
  fs::remove(dir / console_tty_name, ignored);
  const ProcessId relay = spawn_detached({binary_.string(), "--dir", dir.string()}, dir / "console-relay.log");
  // Recorded at once, so that cleanup finds it whatever fails next.
  write_file_atomically(dir / record_name,
                        nlohmann::json{{"pid", relay.pid}, {"start_time", relay.start_time}}.dump() + "\n");
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (!fs::exists(dir / console_tty_name)) {
    // The failed start's cleanup ends the relay.
    if (!is_running(relay) || std::chrono::steady_clock::now() >= deadline)
      throw Error(ErrorKind::backend_failed,
                  fmt::format("the console relay did not start; see {}", (dir / "console-relay.log").string()));
    std::this_thread::sleep_for(2ms);
  }
}

void ConsoleRelayCapability::contribute_machine(const VmRecord& vm, MachineConfig& machine) {
  machine.serial_tty = read_tty(dir_of(vm.id) / console_tty_name);
}

void ConsoleRelayCapability::cleanup(const VmRecord& vm, CleanupReason) noexcept {
  const fs::path dir = dir_of(vm.id);
  if (auto relay = read_record(dir / record_name)) {
    try {
      // Only the relay recorded: same start time and our binary, not a process that took its pid.
      if (is_running(*relay) && process_argv0(relay->pid) == binary_.string()) terminate(*relay, stop_grace);
    } catch (const std::exception& e) {
      log::warn("VM '{}': ending its console relay: {}", vm.name, e.what());
    }
  }
  std::error_code ignored;
  for (const char* name : {record_name, console_tty_name, console_socket_name}) fs::remove(dir / name, ignored);
}

UniqueFd ConsoleRelayCapability::connect(const std::string& vm_id) const {
  return connect_console_relay(dir_of(vm_id) / console_socket_name);
}

std::vector<ProcessId> ConsoleRelayCapability::running_relays() const {
  std::vector<ProcessId> out;
  std::error_code ec;
  for (fs::directory_iterator it(vms_dir_, ec), end; !ec && it != end; it.increment(ec))
    if (auto relay = read_record(it->path() / record_name); relay && is_running(*relay)) out.push_back(*relay);
  return out;
}

}  // namespace banger
