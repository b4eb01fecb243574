#pragma once
#include "core/vmm_backend.h"

namespace banger::testing {

// The stand-in VMM of the tests (backend "test"): a real detached process (a
// shell) per running VM, so launch, stop, kill, exit detection and adoption
// after a daemon restart are exercised for real; no guest boots. Creating
// <runtime dir>/guest-poweroff makes it exit 0, as a VMM whose guest shut down.
// configure() writes the MachineConfig it got to <runtime dir>/machine.json so
// tests can check what the capabilities contributed.
// Its stdout is the VM's console log: "test backend NAME: banger: guest ready",
// then "console line 1" … "console line N" for the fault "console_lines=N".
// Faults: "launch", "start" fail those steps with BackendFailed;
// "crash-after-launch" ends bangerd right after the VMM is spawned.
// Saved state (VM.Suspend): save_state writes <dir>/state, a line naming the VM
// and its VMM's pid; a restore's configure() checks that line and copies it to
// <runtime dir>/restored-from. Faults: "save" fails save_state, "load" the
// restore's configure; "saved_state_format=X" makes the format X (a VMM upgrade).
class TestBackend final : public VmmBackend {
 public:
  std::string_view name() const override { return "test"; }
  std::string_view kernel_file() const override { return {}; }
  std::string launch(const MachineConfig& machine) override;
  void configure(const std::string& handles, const MachineConfig& machine) override;
  void start(const std::string& handles) override;
  void stop(const std::string& handles, std::chrono::milliseconds timeout) override;
  void kill(const std::string& handles) override;
  void pause(const std::string& handles) override;
  void resume(const std::string& handles) override;
  VmmStatus status(const std::string& handles) override;
  bool adopt(const std::string& handles) override;
  std::string saved_state_format(const MachineConfig& machine) const override;
  std::uint64_t save_state(const std::string& handles, const std::filesystem::path& dir) override;
};

}  // namespace banger::testing
