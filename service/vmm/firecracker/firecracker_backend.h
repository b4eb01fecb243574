#pragma once
#include "config.h"
#include <memory>

#include "core/vmm_backend.h"
#include "vmm/firecracker/jailer_ids.h"

namespace banger {

// Runs each VM in its own Firecracker process (optionally through the jailer)
// and drives it over the API socket. Handles (JSON) record the pid, its start
// time, the API socket, the runtime dir and the launched binaries, so that a
// restarted bangerd re-finds the VMM and never mistakes a reused pid for it.
class FirecrackerBackend final : public VmmBackend {
 public:
  // ids: each VM's own uid, which its VMM runs as, jailed or not (issue 17,
  // finding 3); null runs every VMM as the fixed [firecracker] jailer_uid/jailer_gid,
  // and an unjailed one as root when that is 0.
  explicit FirecrackerBackend(FirecrackerSettings settings, std::shared_ptr<JailerIds> ids = nullptr);

  std::string_view name() const override { return "firecracker"; }
  // Firecracker's loader boots an uncompressed ELF kernel.
  std::string_view kernel_file() const override { return "vmlinux"; }
  std::string unavailable() const override;
  std::string launch(const MachineConfig& machine) override;
  void configure(const std::string& handles, const MachineConfig& machine) override;
  void start(const std::string& handles) override;
  void stop(const std::string& handles, std::chrono::milliseconds timeout) override;
  void kill(const std::string& handles) override;
  void pause(const std::string& handles) override;
  void resume(const std::string& handles) override;
  VmmStatus status(const std::string& handles) override;
  bool adopt(const std::string& handles) override;
  // The last "exit_code=N" Firecracker wrote (it logs one on every orderly exit).
  std::optional<int> exit_code(const std::string& handles) override;

 private:
  FirecrackerSettings settings_;
  std::shared_ptr<JailerIds> ids_;
};

// The backend as a daemon runs it: with the per-VM uids kept under the state
// directory (the same ones the daemon's JailerIdentity capability holds).
std::unique_ptr<VmmBackend> make_firecracker_backend(const Config& config);

}  // namespace banger
