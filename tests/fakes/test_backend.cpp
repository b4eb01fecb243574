#include "test_backend.h"

#include <signal.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/console_log.h"
#include "core/errors.h"
#include "fault_file.h"
#include "vmm/process.h"

namespace banger::testing {

namespace {

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
  // Its stdout stands for a serial console: the ready marker of banger's
  // images, then `console_lines` numbered lines, then the VMM just waits.
  const std::string lines = fault("console_lines").value_or("0");
  auto process = spawn_detached({"/bin/sh", "-c",
                                 "echo \"test backend $1: banger: guest ready\"; "
                                 "[ \"$2\" -gt 0 ] && seq -f 'console line %.0f' 1 \"$2\"; exec sleep infinity",
                                 "test-vmm", machine.vm_name, lines},
                                console_log_path(machine.runtime_dir));
  return nlohmann::json{{"pid", process.pid}, {"start_time", process.start_time}}.dump();
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

bool TestBackend::adopt(const std::string& handles) { return is_running(parse(handles)); }

}  // namespace banger::testing
