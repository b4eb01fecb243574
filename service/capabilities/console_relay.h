#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "core/capability.h"
#include "core/unique_fd.h"
#include "vmm/process.h"

namespace banger {

// console-relay: each run of a VM gets its own banger-console-relay (see
// console/relay.h), started before the VMM, whose pty slave becomes the VMM's
// serial console (MachineConfig::serial_tty). The relay runs in a session of
// its own and is recorded in <runtime>/vms/<id>/console-relay.json, so it
// outlives a bangerd restart with its VM; it ends by itself when the VMM is
// gone, and cleanup ends it in any case (after it has drained the console).
class ConsoleRelayCapability final : public Capability {
 public:
  ConsoleRelayCapability(std::filesystem::path relay_binary, std::filesystem::path runtime_dir);

  std::string_view name() const override { return "console-relay"; }
  void prepare_host(const VmRecord& vm) override;
  void contribute_machine(const VmRecord& vm, MachineConfig& machine) override;
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;

  // A socket connected to the running VM's relay, for one interactive client.
  // Throws Error(busy) when a client is attached, Error(invalid_state) when the
  // VM's run has no relay.
  UniqueFd connect(const std::string& vm_id) const;
  // The relays still recorded and running, which bangerd's start-up sweep of
  // unrecorded VMMs must spare.
  std::vector<ProcessId> running_relays() const;

 private:
  std::filesystem::path dir_of(const std::string& vm_id) const;

  std::filesystem::path binary_;
  std::filesystem::path vms_dir_;
};

}  // namespace banger
