#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <filesystem>
#include <future>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/capabilities.h"
#include "core/delete_intents.h"
#include "core/guest_clock.h"
#include "core/saved_states.h"
#include "core/snapshot.h"
#include "core/vmm_handles.h"
#include "core/lock_table.h"
#include "core/options.h"
#include "core/quotas.h"
#include "core/vm.h"
#include "core/vm_events.h"
#include "core/vmm_backends.h"
#include "core/vmm_watch.h"
#include "core/store.h"
#include "core/workspace_locks.h"

namespace banger {

struct VmManagerSettings {
  std::chrono::milliseconds lock_timeout{30000};
  std::chrono::milliseconds stop_timeout{30000};
  std::filesystem::path runtime_dir;
  // Where deletes under way are recorded (DeleteIntents); the state dir, so that
  // they survive a host crash too. Empty: <runtime_dir>/deleting.
  std::filesystem::path intents_dir{};
  UserQuota quota{0, 0, 0, 0};  // per owner; the daemon passes [quotas], here no limit
  // Where suspended VMs' saved states are (SavedStates): the state dir, so that they
  // survive a host reboot. Empty: <runtime_dir>/saved-states.
  std::filesystem::path saved_states_dir{};
  // Where named checkpoints' files are (<dir>/<vm id>/<snapshot id>/): the state
  // dir. Empty: <runtime_dir>/snapshots.
  std::filesystem::path snapshots_dir{};
};


// The VM lifecycle. Every operation on an existing VM takes that VM's lock for
// its whole length and re-reads the record under it, so it acts on committed
// state; record creation is serialised by its own lock. Every state write goes
// through the state machine and is followed by a VmEvents call. Each VM runs
// on the backend named in its record; the handles of its VMM live in its
// runtime handles file (Deps::handles), and the VMM is watched from launch on.
class VmManager {
 public:
  struct Deps {
    Store& store;
    VmmBackends& backends;
    Capabilities& capabilities;
    VmEvents& events;
    VmmHandles& handles;  // each VMM's handles while it runs (store/handles_files.h)
    VmmWatch* watch = nullptr;  // none: nothing notices a VMM's own exit
    WorkspaceLocks* workspaces = nullptr;  // VMs a workspace transfer holds answer Busy
    DiskLedger* disks = nullptr;  // none: [quotas] max_disk_mib is not checked
    GuestClock* clock = nullptr;  // none: a guest's clock is not set after a resume or restore
    SnapshotStore* snapshots = nullptr;  // none: VM.Snapshot answers NotSupported
    SnapshotEvents* snapshot_events = nullptr;
  };
  VmManager(Deps deps, VmManagerSettings settings);

  // Create is two steps so the bus can answer at once: begin_create commits the
  // record in state creating; finish_create provisions it (on a worker). When
  // finish_create fails, the record, the object and every resource are gone.
  VmRecord begin_create(const CreateSpec& spec, std::uint32_t owner_uid);
  VmRecord finish_create(const std::string& id, ProgressSink& progress);
  // Clone is two steps as well: begin_clone commits the copy's record (a new
  // id and name, the source's settings, owned by `owner_uid`) in state
  // creating; finish_clone copies the source's resources (its disks, by the
  // capabilities' provision_clone) while the source stays locked, so it cannot
  // start meanwhile. Error(invalid_state) unless the source is created or stopped.
  VmRecord begin_clone(const std::string& source_id, const std::string& new_name, std::uint32_t owner_uid);
  VmRecord finish_clone(const std::string& id, const std::string& source_id, ProgressSink& progress);
  // Snapshot.Clone, cold (vm_manager_snapshot_clone.cpp): the same two steps, from a
  // checkpoint's disks instead of the VM's own, so its VM may be in any state
  // (it stays locked while they are copied, which keeps the checkpoint from going).
  // The copy has the VM's settings as they are now and is left created, to boot afresh.
  VmRecord begin_checkpoint_clone(const std::string& snapshot_id, const std::string& new_name, std::uint32_t owner_uid);
  VmRecord finish_checkpoint_clone(const std::string& id, const std::string& snapshot_id, ProgressSink& progress);

  // A suspended VM starts from its saved state (vm_manager_suspend.cpp): running
  // again where it was suspended. A state that can no longer load (another VMM
  // version, machine or image: SavedStateManifest) is dropped and the VM boots
  // afresh, LastError saying why; one whose load fails is dropped and the start fails.
  VmRecord start(const std::string& id, StartOptions options = {});
  VmRecord stop(const std::string& id, bool force);
  VmRecord restart(const std::string& id);
  VmRecord kill(const std::string& id);
  // VM.Pause / VM.Resume (vm_manager_pause.cpp): running -> paused -> running;
  // the VMM keeps running with its vCPUs stopped, the VM keeps its host resources.
  VmRecord pause(const std::string& id);
  VmRecord resume(const std::string& id);
  // VM.Suspend (vm_manager_suspend.cpp): running or paused -> suspended. The
  // guest's memory and device state go to disk, the VMM ends, the per-run host
  // resources go (CleanupReason::suspended); the address, DNS name and forwards
  // stay the VM's. Error(not_supported) when its backend cannot save state;
  // when the save fails, the VM is back as it was.
  // `lock_wait`: at most this long for the VM's lock (host shutdown); default lock_timeout.
  // `note`: shown as LastError while suspended (the idle detector's "suspended after N s idle").
  VmRecord suspend(const std::string& id, std::optional<std::chrono::milliseconds> lock_wait = std::nullopt,
                   std::string note = {});
  // Named checkpoints (vm_manager_snapshot.cpp, issue 19). Snapshot is two
  // steps so the bus can answer at once: plan_snapshot checks the name, the
  // VM's state and the owner's disk quota and picks the id, making nothing;
  // take_snapshot checks again under the VM's lock and makes it. Of a running
  // or paused VM: memory and device state (the VMM pauses for the save and goes
  // on as it was) and disks; of a created or stopped one, disks only.
  // Error(exists) for a name the VM has, Error(not_supported) without a
  // SnapshotStore or, for a VM with a VMM, a backend that cannot save state.
  SnapshotRecord plan_snapshot(const std::string& vm_id, const std::string& name);
  SnapshotRecord take_snapshot(const SnapshotRecord& planned, ProgressSink& progress);
  // Puts the VM back at the checkpoint's instant: a running or paused VM is
  // killed, a suspended one loses its saved state; the checkpoint's disks
  // replace the VM's; with memory, the VM is started from it (running again),
  // else it is stopped. The checkpoint stays, and becomes the VM's latest.
  VmRecord restore_snapshot(const std::string& snapshot_id, ProgressSink& progress);
  void delete_snapshot(const std::string& snapshot_id);
  std::vector<SnapshotRecord> snapshots();
  void remove(const std::string& id);
  VmRecord set(const std::string& id, const VmChanges& changes);
  VmRecord touch(const std::string& id);
  // Runs `check` on the VM's record under its lock (Busy while creating or
  // while a workspace transfer holds it), for work that holds the VM its own way.
  void inspect(const std::string& id, const std::function<void(const VmRecord&)>& check);
  // Whether the VMM the VM's handles still name runs: a stop that failed keeps them (the
  // VM is failed), and that VMM may still use the VM's disks. False without handles;
  // true when its backend cannot tell. For `inspect`'s check, under the VM's lock.
  bool recorded_vmm_runs(const VmRecord& vm);

  std::vector<VmRecord> list();

  // What Manager.Doctor reports: each backend's VMM, then every capability's checks.
  std::vector<DoctorCheck> doctor();

  // At start-up, before any object is exported: drop half-made VMs, adopt VMMs
  // that survived the restart (and watch them) and settle those that did not.
  void recover();
  // The VMM the VM's handles name (its process may have ended); nullopt without handles.
  std::optional<VmmProcess> vmm_process(const std::string& id) { return handles_.process_in(handles_.get(id)); }
  // Every VMM process the handles files name after recover(): what an orphan sweep must spare.
  std::vector<VmmProcess> recorded_vmms();
  // The VmmWatch reports that `process` ended. Waits for the VM's lock, so an
  // operation of banger's own (stop, kill) settles the VM first and is never
  // reported as a crash; a running VM whose VMM this still is becomes stopped
  // (clean exit) or failed (LastError says how it died), and is cleaned up.
  void vmm_exited(const std::string& id, const VmmProcess& process, const VmmExit& exit);

  // Host sleep and shutdown (core/host_power.h; vm_manager_host.cpp). A paused
  // VMM's VM stays running: the host is asleep meanwhile. pause_vmm waits at
  // most `wait` for the VM's lock, so an operation under way is not waited for.
  void pause_vmm(const std::string& id, std::chrono::milliseconds wait);
  // Without the lock: an operation queued while the host slept may hold it,
  // waiting on the paused guest.
  void resume_vmm(const std::string& id);
  // A graceful stop whose VMM is ended forcibly after `timeout` (not stop_timeout).
  VmRecord stop_within(const std::string& id, std::chrono::milliseconds timeout);

 private:
  void finish_deletes();  // recover(): deletes a killed bangerd left halfway
  void settle_adopted_pause(VmRecord& vm, const std::string& handles);  // recover(): a paused VM's VMM
  // recover(): a VM with a committed saved state that is not (yet) suspended:
  // bangerd ended between saving it and noting so, or during its restore.
  void settle_saved_state(VmRecord& vm, const std::string& handles, bool vmm_alive);
  // recover(): ends a VMM it must not leave running; false (logged, saying `whose`) when it
  // would not end, and the VM is then left as it is for a later Kill or Delete.
  bool end_vmm_or_log(const VmRecord& vm, const std::string& handles, std::string_view whose) noexcept;
  void drop_stray_saved_states();  // recover(): states of VMs that are not suspended, or gone
  // Checkpoints (vm_manager_snapshot.cpp).
  SnapshotStore& snapshot_store() const;  // Error(not_supported) without one
  std::filesystem::path snapshots_root() const;
  SavedStates snapshot_files(const std::string& vm_id) const;  // <snapshots dir>/<vm id>/<snapshot id>/
  // Where the checkpoint's disks are (the capabilities' save_disks wrote them there).
  std::filesystem::path snapshot_disks_dir(const std::string& vm_id, const std::string& snapshot_id) const;
  SnapshotRecord snapshot_of(const VmRecord& vm, const std::string& snapshot_id) const;
  // Refuses a checkpoint whose name the VM has or that its owner's quota has no room for.
  // Returns what it may come to (MiB); with `hold`, that much stays held in the owner's
  // quota (snapshot_room_held_) until a SnapshotRoom gives it back.
  std::uint64_t require_snapshot_room(const VmRecord& vm, bool with_memory, const std::string& name,
                                      bool hold = false);
  // take_snapshot of a running or paused VM: its memory, then its disks while still paused.
  // Returns why its VMM would not run on afterwards ("" when it did).
  std::string save_running_snapshot(const VmRecord& vm, SnapshotRecord& s, SavedStates& files, ProgressSink& progress);
  VmRecord restore_snapshot_locked(VmRecord vm, const SnapshotRecord& snapshot, ProgressSink& progress);
  // The checkpoint's disks (and saved state) become the VM's, which is stopped or created.
  void install_snapshot(VmRecord& vm, const SnapshotRecord& snapshot, const SavedStateManifest* memory);
  void remove_snapshots_of(const VmRecord& vm) noexcept;  // remove(): its checkpoints' files
  void finish_snapshot_restores();  // recover(): restores cut off halfway are rolled forward
  void drop_stray_snapshots();  // recover(): files without a row, rows without files
  // The machine the VM runs as (as its start made it), for what its saved state needs to load again.
  SavedStateManifest running_manifest(const VmRecord& vm);
  // Stops a running VM's vCPUs for a state save (a paused one's are): Capability::before_pause first.
  void pause_vmm_locked(const VmRecord& vm, const std::string& handles);
  // What a restore of `vm` would run as now, to compare with its saved manifest.
  SavedStateManifest manifest_for(const VmRecord& vm, const MachineConfig& machine) const;
  // Start of a suspended VM: its loadable saved state, or nullopt after
  // dropping one that cannot load (`notice` says why, for LastError).
  std::optional<SavedStateManifest> loadable_saved_state(const VmRecord& vm, bool fresh, std::string& notice);
  // Sets a restored guest's clock in the background: an SSH session to a TCG guest
  // costs about a third of a second, which Start need not wait for (bench-suspend).
  void set_guest_clock(const VmRecord& vm) noexcept;
  struct Locked {
    LockTable::Guard guard;
    VmRecord vm;
  };
  Locked lock(const std::string& id, std::optional<std::chrono::milliseconds> timeout = std::nullopt,
              bool wait_while_creating = false);
  void commit_state(VmRecord& vm, VmState to, std::string_view reason, std::string last_error = {});
  VmRecord start_locked(VmRecord vm, StartOptions options = {});
  // Lets a paused VMM's vCPUs run again (the state is the caller's to commit).
  void resume_vmm_locked(const VmRecord& vm, const std::string& handles);
  VmRecord stop_locked(VmRecord vm, bool force, std::string_view reason,
                       std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  MachineConfig machine_for(const VmRecord& vm) const;
  VmmBackend& backend_of(const VmRecord& vm) const;
  void watch(const std::string& id, const std::string& handles);
  void forget_vmm(const std::string& id) noexcept;
  // How a VMM ended, noted by the watcher before it waits for the VM's lock:
  // a start that fails because its VMM died holds that lock, and says how.
  void note_exit(const std::string& id, const VmmProcess& process, const VmmExit& exit);
  std::optional<std::string> exit_noted(const std::string& id, const std::string& handles,
                                        std::chrono::milliseconds wait);

  Deps deps_;
  VmManagerSettings settings_;
  VmmHandles& handles_;
  DeleteIntents delete_intents_;
  SavedStates saved_;
  LockTable locks_;
  // Serialises record creation and every quota check with the write it guards,
  // so two calls of one owner cannot both take the last of a quota.
  std::mutex create_mutex_;
  // Room that checkpoints being taken hold in their owners' disk quota (MiB by
  // owner, under create_mutex_) until their rows count it: two taken at once
  // cannot both have the last of a quota.
  std::map<std::uint32_t, std::uint64_t> snapshot_room_held_;
  std::mutex exits_mutex_;
  std::condition_variable exit_noted_;
  std::map<std::string, std::pair<VmmProcess, VmmExit>> noted_exits_;
  // The background clock settings (set_guest_clock); destroyed first, so waited for
  // while every dependency is still there.
  std::mutex clock_sets_mutex_;
  std::vector<std::future<void>> clock_sets_;
  // Error(exists) when the name is taken, Error(resource_exhausted) over the owner's quota.
  void insert_new(const VmRecord& vm);
  // A clone's record (a new id and name, `source`'s settings, owned by `owner_uid`), inserted in state creating.
  VmRecord insert_clone(const VmRecord& source, const std::string& new_name, std::uint32_t owner_uid);
  // Runs `provision` on a record in state creating, then commits it as created;
  // on failure the record goes (capabilities cleaned up after themselves).
  VmRecord provisioned(VmRecord vm, ProgressSink& progress, std::string_view what,
                       const std::function<void(VmRecord&)>& provision);
};

}  // namespace banger
