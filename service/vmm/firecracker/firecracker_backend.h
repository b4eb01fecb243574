#pragma once
#include "config.h"
#include <memory>
#include <mutex>
#include <optional>

#include "core/vmm_backend.h"
#include "vmm/firecracker/jailer_ids.h"

namespace banger {

// PUT /snapshot/create's snapshot_type: all of guest memory, or only what the
// guest wrote since the VMM's last snapshot (needs dirty page tracking).
enum class SnapshotType { full, diff };
// machine-config's (and a restore's) track_dirty_pages: what Diff snapshots
// need, at a cost to every guest write, so off unless asked for.
enum class DirtyPageTracking { off, on };

// Runs each VM in its own Firecracker process (optionally through the jailer)
// and drives it over the API socket. Handles (JSON) record the pid, its start
// time, the API socket, the runtime dir and the launched binaries, so that a
// restarted bangerd re-finds the VMM and never mistakes a reused pid for it.
class FirecrackerBackend final : public VmmBackend {
 public:
  // ids: each VM's own uid, which its VMM runs as, jailed or not (issue 17,
  // finding 3); null runs every VMM as the fixed [firecracker] jailer_uid/jailer_gid,
  // and an unjailed one as root when that is 0.
  explicit FirecrackerBackend(FirecrackerSettings settings, std::shared_ptr<JailerIds> ids = nullptr,
                              DirtyPageTracking tracking = DirtyPageTracking::off);

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

  // Suspend to disk through Firecracker's snapshot API. The format names the
  // binary's version (asked once per binary as it is on disk), the host CPU,
  // the machine's size, and its drives and NICs as the VMM names them (a
  // snapshot reopens each drive at the path it recorded, so a change of
  // jailer/uid mode or of a drive's path makes the state unloadable). Empty when
  // there is no firecracker binary; throws Error(backend_failed) when it does not
  // answer --version (a state is never dropped for a slow host).
  std::string saved_state_format(const MachineConfig& machine) const override;
  // A Full snapshot into `dir`: saved_state_file(dir) and saved_memory_file(dir).
  std::uint64_t save_state(const std::string& handles, const std::filesystem::path& dir) override {
    return save_state(handles, dir, SnapshotType::full);
  }
  // The same, Full or Diff. A Diff's memory file holds only the pages written
  // since this VMM's previous snapshot (holes elsewhere, zero pages inside kept):
  // apply_diff_memory() lays it over that snapshot's memory file, which then
  // loads with the Diff's state file. Diff needs DirtyPageTracking::on.
  std::uint64_t save_state(const std::string& handles, const std::filesystem::path& dir, SnapshotType type);

 private:
  std::string firecracker_version() const;

  FirecrackerSettings settings_;
  std::shared_ptr<JailerIds> ids_;
  DirtyPageTracking tracking_;
  // The binary's --version answer, with what identified the binary on disk then.
  struct VersionAnswer {
    std::string identity;
    std::string version;
  };
  mutable std::mutex version_mutex_;
  mutable std::optional<VersionAnswer> version_;
};

// The backend as a daemon runs it: with the per-VM uids kept under the state
// directory (the same ones the daemon's JailerIdentity capability holds).
std::unique_ptr<VmmBackend> make_firecracker_backend(const Config& config);

}  // namespace banger
