#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "capabilities/ssh_key_pair.h"
#include "core/capability.h"
#include "core/options.h"
#include "core/vm.h"
#include "core/vm_attachment.h"
#include "core/workspace_locks.h"

namespace banger {

class VmManager;

// PushWorkspace's options: `target` a relative directory under /work ("" is
// /work itself), `replace` empties the target first, `size` (bytes the client
// expects to send) only scales the progress.
struct PushOptions {
  std::string target;
  bool replace = false;
  std::uint64_t size = 0;
};

// PullWorkspace's option: the relative directory under /work to send ("": all of /work).
struct PullOptions {
  std::string source;
};

// The work disk's contract with the work-disk capability: an ext4 image the guest mounts at /work.
std::filesystem::path work_disk_image(const std::filesystem::path& state_dir, const std::string& vm_id);

// A transfer that holds its VM (see WorkspaceLocks) from begin to its end.
struct WorkspaceTransfer {
  WorkspaceLocks::Claim claim;
  VmRecord vm;
  std::string address;  // the guest's, when it runs: the transfer goes over SSH
};

// Workspaces: tar streams from and to a VM's work disk, validated entry by
// entry (workspace/entry_rules.h). A running VM is reached over SSH with the
// daemon's key (busybox tar in the guest); a stopped one has its work disk image
// read and written by banger-diskfs (libext2fs, sandboxed), never mounted on
// the host. Either way the tree is unpacked into a
// staging directory on the work disk and moved into place only when complete,
// so a refused or broken stream leaves nothing behind.
class Workspaces {
 public:
  struct Deps {
    VmManager& vms;
    VmAttachments& attachments;
    WorkspaceLocks& locks;
    std::filesystem::path state_dir;
    SshKeyPair key;
  };
  struct Settings {
    std::uint16_t ssh_port = 22;
    std::chrono::milliseconds ssh_timeout{std::chrono::seconds(30)};
    // The offline route's program; default: banger-diskfs beside this executable (libexecdir, or the build's service/).
    std::filesystem::path disk_helper = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "banger-diskfs";
  };
  Workspaces(Deps deps, Settings settings);

  // Before the reply: holds the VM for a transfer. Errors: no_such_vm, busy,
  // invalid_state (in transition, no work disk, running without a network).
  WorkspaceTransfer begin(const std::string& vm_id);
  // Reads a tar from `archive` into /work/<target>. Errors: invalid_args (not a
  // tar, an entry the rules refuse), resource_exhausted (the work disk is full),
  // backend_failed.
  void push(const WorkspaceTransfer& transfer, int archive, const PushOptions& options, ProgressSink& progress);
  // Writes a tar of /work/<source> to `archive`. Errors: invalid_args (no such
  // directory, an entry the rules refuse), backend_failed.
  void pull(const WorkspaceTransfer& transfer, int archive, const PullOptions& options, ProgressSink& progress);

 private:
  Deps deps_;
  Settings settings_;
};

// PushWorkspace's and PullWorkspace's a{sv}: Error(invalid_args) for an unknown
// key, a wrong type, a target or source that is not a relative path without
// ".." (it is normalised), replace without a target.
PushOptions parse_push_options(const OptionMap& options);
PullOptions parse_pull_options(const OptionMap& options);

}  // namespace banger
