#include "test_backend.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/console_log.h"
#include "core/errors.h"
#include "fault_file.h"
#include "vmm/process.h"

namespace banger::testing {

namespace {

// The placeholder VMM: a shell that prints a console, then lives until the
// test "powers off the guest" by creating <runtime dir>/guest-poweroff, then
// exits 0. Its command line names the runtime dir, as a real VMM's does.
// $1 runtime dir, $2 VM name, $3 console lines.
constexpr const char* placeholder_script =
    "echo \"test backend $2: banger: guest ready\"; "
    "[ \"$3\" -gt 0 ] && seq -f 'console line %.0f' 1 \"$3\"; "
    "while [ ! -e \"$1/guest-poweroff\" ]; do sleep 0.1; done";

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
  // images, then `console_lines` numbered lines, then the VMM waits for the
  // test to power the guest off.
  const std::string lines = fault("console_lines").value_or("0");
  // bash, not dash: dash clears the signal mask it inherits, while real VMMs (QEMU) keep
  // machined's poweroff signal blocked as bangerd starts them (vmm/process.h).
  auto process = spawn_detached({"/bin/bash", "-c", placeholder_script, "banger-test-vmm", machine.runtime_dir.string(),
                                 machine.vm_name, lines},
                                console_log_path(machine.runtime_dir));
  if (fault("crash-after-launch")) std::_Exit(9);  // bangerd dies before it records the VMM
  return nlohmann::json{{"pid", process.pid}, {"start_time", process.start_time},
                        {"runtime_dir", machine.runtime_dir.string()}}
      .dump();
}

void TestBackend::configure(const std::string& handles, const MachineConfig& machine) {
  parse(handles);
  if (!machine.restore_from.empty()) {
    std::ifstream in(machine.restore_from / "state");
    std::string line;
    std::getline(in, line);
    if (fault("load") || line.rfind("test-vmm-state ", 0) != 0)
      throw SavedStateRefused("test backend: could not load the saved state: not a state it wrote");
    std::ofstream(machine.runtime_dir / "restored-from") << line << "\n";
  }
  nlohmann::json j{{"vm_id", machine.vm_id},     {"vm_name", machine.vm_name},
                   {"vcpus", machine.vcpus},     {"memory_mib", machine.memory_mib},
                   {"kernel_args", machine.kernel_args}};
  std::ofstream(machine.runtime_dir / "machine.json") << j.dump(2) << "\n";
}

void TestBackend::start(const std::string& handles) {
  injected("start");
  // What a guest might say when it fails, in whatever bytes it likes.
  if (auto said = fault("start_error")) throw Error(ErrorKind::backend_failed, "test backend: the guest said " + *said);
  if (!is_running(parse(handles))) throw Error(ErrorKind::backend_failed, "test backend: the VMM exited at start");
}

void TestBackend::stop(const std::string& handles, std::chrono::milliseconds timeout) {
  terminate(parse(handles), timeout);
}

void TestBackend::kill(const std::string& handles) { terminate(parse(handles), std::chrono::milliseconds(0)); }


void TestBackend::resume(const std::string& handles) { ::kill(parse(handles).pid, SIGCONT); }

namespace {

// Whether /proc says the process is stopped (state T): what SIGSTOP, the stand-in's pause, leaves.
bool is_stopped(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && stat.compare(paren + 1, 3, " T ") == 0;
}

}  // namespace

// Returns once the stand-in is stopped, as QMP's stop and Firecracker's PATCH /vm return
// once the vCPUs are: SIGSTOP only takes effect when the signal is delivered (found by
// bus-pause, which saw the process still 'R' right after Pause answered).
void TestBackend::pause(const std::string& handles) {
  const auto process = parse(handles);
  ::kill(process.pid, SIGSTOP);
  for (int i = 0; i < 200 && !is_stopped(process.pid) && is_running(process); ++i) ::usleep(5000);
}

VmmStatus TestBackend::status(const std::string& handles) {
  const auto process = parse(handles);
  if (!is_running(process)) return VmmStatus::exited;
  return is_stopped(process.pid) ? VmmStatus::paused : VmmStatus::running;
}

std::string TestBackend::saved_state_format(const MachineConfig&) const {
  return fault("saved_state_format").value_or("test-vmm 1");
}

std::uint64_t TestBackend::save_state(const std::string& handles, const std::filesystem::path& dir) {
  const auto process = parse(handles);
  injected("save");
  if (!is_running(process)) throw Error(ErrorKind::backend_failed, "test backend: the VMM exited during the save");
  const auto runtime_dir = nlohmann::json::parse(handles, nullptr, false).value("runtime_dir", std::string());
  {
    std::ofstream out(dir / "state");
    out << "test-vmm-state " << std::filesystem::path(runtime_dir).filename().string() << " pid " << process.pid << "\n";
  }
  return std::filesystem::file_size(dir / "state");
}

bool TestBackend::adopt(const std::string& handles) {
  // Start time and command line, as the real backends check: a reused pid is not ours.
  auto process = parse(handles);
  auto dir = nlohmann::json::parse(handles, nullptr, false).value("runtime_dir", std::string());
  auto args = process_cmdline(process.pid);
  return is_running(process) && args.size() == 7 && args[3] == "banger-test-vmm" && args[4] == dir;
}

}  // namespace banger::testing
