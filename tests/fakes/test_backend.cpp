#include "test_backend.h"

#include <signal.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "fault_file.h"
#include "vmm/process.h"

namespace banger::testing {

namespace {

// The placeholder VMM: a shell that lives until the test "powers off the
// guest" by creating <runtime dir>/guest-poweroff, then exits 0. Its command
// line names the runtime dir, as a real VMM's does.
constexpr const char* placeholder_script = "while [ ! -e \"$1/guest-poweroff\" ]; do sleep 0.1; done";

ProcessId parse(const std::string& handles) {
  auto j = nlohmann::json::parse(handles, nullptr, false);
  if (j.is_discarded() || !j.contains("pid") || !j.contains("start_time"))
    throw Error(ErrorKind::backend_failed, "test backend: unreadable handles");
  return {j.at("pid").get<pid_t>(), j.at("start_time").get<std::uint64_t>()};
}

void injected(const char* step) {
  if (fault(step)) throw Error(ErrorKind::backend_failed, std::string("test backend: injected ") + step + " failure");
}

}  // namespace

std::string TestBackend::launch(const MachineConfig& machine) {
  injected("launch");
  auto process = spawn_detached({"/bin/sh", "-c", placeholder_script, "banger-test-vmm", machine.runtime_dir.string()},
                                machine.runtime_dir / "vmm.log");
  if (fault("crash-after-launch")) std::_Exit(9);  // bangerd dies before it records the VMM
  return nlohmann::json{{"pid", process.pid}, {"start_time", process.start_time},
                        {"runtime_dir", machine.runtime_dir.string()}}
      .dump();
}

void TestBackend::configure(const std::string& handles, const MachineConfig& machine) {
  parse(handles);
  nlohmann::json j{{"vm_id", machine.vm_id},     {"vm_name", machine.vm_name},
                   {"vcpus", machine.vcpus},     {"memory_mib", machine.memory_mib},
                   {"kernel_args", machine.kernel_args}};
  std::ofstream(machine.runtime_dir / "machine.json") << j.dump(2) << "\n";
}

void TestBackend::start(const std::string& handles) {
  injected("start");
  if (!is_running(parse(handles))) throw Error(ErrorKind::backend_failed, "test backend: the VMM exited at start");
}

void TestBackend::stop(const std::string& handles, std::chrono::milliseconds timeout) {
  terminate(parse(handles), timeout);
}

void TestBackend::kill(const std::string& handles) { terminate(parse(handles), std::chrono::milliseconds(0)); }

void TestBackend::pause(const std::string& handles) { ::kill(parse(handles).pid, SIGSTOP); }

void TestBackend::resume(const std::string& handles) { ::kill(parse(handles).pid, SIGCONT); }

VmmStatus TestBackend::status(const std::string& handles) {
  return is_running(parse(handles)) ? VmmStatus::running : VmmStatus::exited;
}

bool TestBackend::adopt(const std::string& handles) {
  // Start time and command line, as the real backends check: a reused pid is not ours.
  auto process = parse(handles);
  auto dir = nlohmann::json::parse(handles, nullptr, false).value("runtime_dir", std::string());
  auto args = process_cmdline(process.pid);
  return is_running(process) && args.size() == 5 && args[3] == "banger-test-vmm" && args[4] == dir;
}

}  // namespace banger::testing
