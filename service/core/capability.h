#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/machine_config.h"
#include "core/vm.h"

namespace banger {

// suspended: the VMM ended after saving the guest's state (VM.Suspend). Per-run
// host resources go as on a stop; what the guest still believes in (the
// forwards of the ports it listens on) stays, since the same guest comes back.
enum class CleanupReason { create_failed, start_failed, stopped, deleted, suspended };

std::string_view to_string(CleanupReason reason);

struct PreflightCheck {
  std::string name;
  std::function<void()> run;  // throws banger::Error to refuse the start
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void report(std::string_view stage, double fraction) = 0;
};

// A host-side feature of a VM (directories, disks, tap, NAT, DNS …). Each hook
// has a do-nothing default so a capability overrides only what it needs.
// Implementations receive their dependencies in their constructor and never
// hold a pointer back to the daemon. Hooks may throw banger::Error, except
// cleanup, which must be idempotent and must not throw: it runs after partial
// failures, on stop, on delete and on recovery after a crash.
class Capability {
 public:
  virtual ~Capability() = default;
  virtual std::string_view name() const = 0;

  // create, before anything exists: refuse a VM this capability cannot serve
  // (a missing image …), so CreateVM answers the error itself.
  virtual void check_create(const VmRecord& vm) {}
  // create: make the VM's lasting host resources (disks, directories). May
  // fill in the record's fields it decides (root_disk_strategy); the VM
  // manager stores the record after every capability has run.
  virtual void provision(VmRecord& vm, ProgressSink& progress) {}
  // clone: make `clone`'s lasting resources as copies of `source`'s (a
  // stopped VM, locked meanwhile). By default a clone is provisioned like a
  // new VM (a fresh address, directory, DNS name); disks override this.
  virtual void provision_clone(const VmRecord& source, VmRecord& clone, ProgressSink& progress) {
    provision(clone, progress);
  }
  // Snapshot.Clone (issue 19): make `clone`'s lasting resources from a
  // checkpoint of `source`, whose disks save_disks put in `dir` (the source
  // itself may run meanwhile: its own disks are not read). By default like a
  // new VM; disks override this.
  virtual void provision_from_checkpoint(const VmRecord& source, const std::filesystem::path& dir, VmRecord& clone,
                                         ProgressSink& progress) {
    provision(clone, progress);
  }
  // start, before anything is touched: register checks that may refuse the start.
  virtual void add_start_preflight(const VmRecord& vm, std::vector<PreflightCheck>& checks) {}
  // start: make per-run host resources (runtime dir, tap, NAT rule).
  virtual void prepare_host(const VmRecord& vm) {}
  virtual void contribute_guest(const VmRecord& vm, GuestConfig& guest) {}
  virtual void contribute_machine(const VmRecord& vm, MachineConfig& machine) {}
  // start, after the VMM runs the guest.
  virtual void post_start(const VmRecord& vm) {}
  virtual void cleanup(const VmRecord& vm, CleanupReason reason) noexcept {}
  // VM.Pause, before the VMM stops the vCPUs: let go of anything that talks to
  // the guest (a paused guest answers nothing, so such work would only hang).
  // VM.Resume (or a stop that resumes first), after the vCPUs run again: take it up again.
  // Per-run host resources (tap, NAT, DNS, forwards) stay through both.
  virtual void before_pause(const VmRecord& vm) noexcept {}
  virtual void after_resume(const VmRecord& vm) noexcept {}
  // VM.Snapshot (issue 19): copies the VM's lasting disks into `dir` (exists,
  // root's, 0700), each under a file name of the capability's own, the best way
  // the file system offers (a reflink, else a sparse copy). The VM is stopped,
  // or its VMM paused after a state save, so the copies are of one instant.
  virtual void save_disks(const VmRecord& vm, const std::filesystem::path& dir) {}
  // A checkpoint's Restore: the disks save_disks put in `dir` become the VM's
  // again, each file replaced whole (the VM stopped, its devices released).
  virtual void restore_disks(const VmRecord& vm, const std::filesystem::path& dir) {}
  // Set: settings changed on a stopped VM (or its name, any time).
  virtual void apply_config_change(const VmRecord& before, const VmRecord& after) {}
  virtual void add_doctor_checks(std::vector<DoctorCheck>& checks) {}
};

}  // namespace banger
