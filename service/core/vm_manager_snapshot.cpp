// Named checkpoints (issue 19): VM.Snapshot, Snapshot.Restore, Snapshot.Delete.
// A checkpoint's files are under <snapshots dir>/<vm id>/<snapshot id>/:
//   vmm/      a running or paused VM's memory and device state, as Suspend saves it
//   manifest  what that state needs to load again (SavedStates: written after vmm/)
//   disks/    the VM's disks, copied by the capabilities (save_disks: a reflink where it can)
// Its row (SnapshotStore) is the commit point, written once every file is on
// disk: recovery removes directories without a row and rows without their files.
// A restore cut off halfway is rolled forward: <vm id>/restoring names it.
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/fault_points.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/options.h"
#include "core/sparse_copy.h"
#include "core/state_machine.h"
#include "core/vm_manager.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

constexpr const char* disks_name = "disks";
constexpr const char* restoring_name = "restoring";
constexpr std::uint64_t mib_bytes = 1 << 20;
constexpr int resume_attempts = 3;
constexpr auto resume_retry_pause = std::chrono::milliseconds(200);

// What the checkpoint's files add up to, holes included: what [quotas] counts.
std::uint64_t apparent_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

void make_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, fs::perms::owner_all, ec);
  if (ec)
    throw Error(ErrorKind::backend_failed,
                fmt::format("cannot make the checkpoint directory {}: {}", dir.string(), ec.message()));
}

std::string read_small_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

SnapshotStore& VmManager::snapshot_store() const {
  if (deps_.snapshots == nullptr) throw Error(ErrorKind::not_supported, "this bangerd keeps no checkpoints");
  return *deps_.snapshots;
}

fs::path VmManager::snapshots_root() const {
  return settings_.snapshots_dir.empty() ? settings_.runtime_dir / "snapshots" : settings_.snapshots_dir;
}

SavedStates VmManager::snapshot_files(const std::string& vm_id) const {
  // The VM's id names a directory: never a path of anyone's choosing.
  if (!is_file_safe_id(vm_id)) throw Error(ErrorKind::internal, fmt::format("internal: '{}' is no VM id", vm_id));
  return SavedStates(snapshots_root() / vm_id);
}

fs::path VmManager::snapshot_disks_dir(const std::string& vm_id, const std::string& snapshot_id) const {
  return snapshot_files(vm_id).files(snapshot_id).parent_path() / disks_name;
}

SnapshotRecord VmManager::snapshot_of(const VmRecord& vm, const std::string& snapshot_id) const {
  auto found = snapshot_store().find_snapshot(snapshot_id);
  if (!found || found->vm_id != vm.id)
    throw Error(ErrorKind::invalid_args, fmt::format("VM '{}' has no checkpoint {}", vm.name, snapshot_id));
  return *found;
}

namespace {

// Gives back the room require_snapshot_room(…, hold = true) took in the owner's quota,
// once the checkpoint's row counts it (or it failed).
class SnapshotRoom {
 public:
  SnapshotRoom(std::mutex& mutex, std::map<std::uint32_t, std::uint64_t>& held, std::uint32_t owner,
               std::uint64_t mib)
      : mutex_(mutex), held_(held), owner_(owner), mib_(mib) {}
  ~SnapshotRoom() {
    std::lock_guard lock(mutex_);
    if ((held_[owner_] -= mib_) == 0) held_.erase(owner_);
  }
  SnapshotRoom(const SnapshotRoom&) = delete;
  SnapshotRoom& operator=(const SnapshotRoom&) = delete;

 private:
  std::mutex& mutex_;
  std::map<std::uint32_t, std::uint64_t>& held_;
  std::uint32_t owner_;
  std::uint64_t mib_;
};

}  // namespace

std::uint64_t VmManager::require_snapshot_room(const VmRecord& vm, bool with_memory, const std::string& name,
                                               bool hold) {
  for (const auto& s : snapshot_store().list_snapshots(vm.id))
    if (s.name == name)
      throw Error(ErrorKind::exists, fmt::format("VM '{}' already has a checkpoint named '{}'", vm.name, name));
  if (with_memory && running_manifest(vm).format.empty())
    throw Error(ErrorKind::not_supported,
                fmt::format("VM '{}' runs on the {} backend, which cannot save a VM's state: stop it for a checkpoint "
                            "of its disks",
                            vm.name, vm.backend));
  // At most what it can come to: the disks at their apparent size and, with memory, all of it.
  const std::uint64_t mib = (deps_.disks != nullptr ? deps_.disks->root_disk_mib(vm) : 0) + vm.work_disk_mib +
                            (with_memory ? vm.memory_mib : 0);
  std::lock_guard serialise(create_mutex_);
  const auto held = snapshot_room_held_.find(vm.owner_uid);
  enforce_snapshot_quota(settings_.quota, deps_.store.list_vms(), vm,
                         mib + (held == snapshot_room_held_.end() ? 0 : held->second), deps_.disks);
  if (hold) snapshot_room_held_[vm.owner_uid] += mib;  // in the same critical section as the check
  return mib;
}

SnapshotRecord VmManager::plan_snapshot(const std::string& vm_id, const std::string& name) {
  validate_snapshot_name(name);
  snapshot_store();
  auto [guard, vm] = lock(vm_id);
  require_allowed(Verb::snapshot, vm.state, vm.name);
  SnapshotRecord planned;
  planned.id = new_vm_id();
  planned.vm_id = vm.id;
  planned.name = name;
  planned.has_memory = holds_vmm_resources(vm.state);
  require_snapshot_room(vm, planned.has_memory, name);
  return planned;
}

// The memory part first, then the disks while the VM is still paused: one instant.
// Returns why the VMM would not run on afterwards ("" when it did, or was paused).
std::string VmManager::save_running_snapshot(const VmRecord& vm, SnapshotRecord& s, SavedStates& files,
                                             ProgressSink& progress) {
  const fs::path vmm_dir = files.files(s.id);
  const fs::path dir = vmm_dir.parent_path();
  std::string resume_failure;
  const auto handles = handles_.get(vm.id);
  if (handles.empty()) throw Error(ErrorKind::backend_failed, fmt::format("VM '{}' has no VMM handles", vm.name));
  SavedStateManifest manifest = running_manifest(vm);
  const bool was_running = vm.state == VmState::running;
  progress.report("pausing the VM", 0.1);
  if (was_running) pause_vmm_locked(vm, handles);
  std::exception_ptr failure;
  try {
    BANGER_FAULT_POINT("snapshot.before-save");
    progress.report("saving the VM's memory", 0.2);
    manifest.bytes = backend_of(vm).save_state(handles, vmm_dir);
    manifest.saved_at_us = s.created_at_us = now_us();
    files.commit(s.id, manifest);
    BANGER_FAULT_POINT("snapshot.memory-saved");
    // Still paused, so the disks are those of the instant the memory was saved.
    progress.report("copying the disks", 0.6);
    deps_.capabilities.save_disks(vm, dir / disks_name);
    BANGER_FAULT_POINT("snapshot.disks-copied");
  } catch (...) {
    failure = std::current_exception();
  }
  // The VMM goes on where it was: a state save leaves it paused and able to run on
  // (QEMU: "postmigrate", whose "cont" reactivates its drives; Firecracker: PATCH /vm).
  // QEMU 7.2's "cont" there now and then fails to take its drives' locks back ("Failed
  // to get "write" lock", seen in bus-guest-pause): tried again, then the caller restores.
  for (int attempt = 1; was_running; ++attempt) {
    try {
      resume_vmm_locked(vm, handles);
      break;
    } catch (const std::exception& e) {
      log::warn("VM '{}': its VMM would not run on after the checkpoint (attempt {}): {}", vm.name, attempt, e.what());
      if (attempt == resume_attempts) {
        resume_failure = e.what();
        break;
      }
      std::this_thread::sleep_for(resume_retry_pause);
    }
  }
  if (failure) std::rethrow_exception(failure);
  return resume_failure;
}

SnapshotRecord VmManager::take_snapshot(const SnapshotRecord& planned, ProgressSink& progress) {
  validate_snapshot_name(planned.name);
  SnapshotStore& store = snapshot_store();
  auto [guard, vm] = lock(planned.vm_id);
  // Checked again: the VM may have changed since the plan.
  require_allowed(Verb::snapshot, vm.state, vm.name);
  SnapshotRecord s = planned;
  s.has_memory = holds_vmm_resources(vm.state);
  // Held until the row counts it (or it failed): a checkpoint of another VM of the owner checks against it.
  std::optional<SnapshotRoom> room;
  room.emplace(create_mutex_, snapshot_room_held_, vm.owner_uid,
               require_snapshot_room(vm, s.has_memory, s.name, true));
  s.parent = store.latest_snapshot(vm.id);
  SavedStates files = snapshot_files(vm.id);
  make_private_dir(snapshots_root());
  progress.report("preparing", 0.05);
  const fs::path vmm_dir = files.begin(s.id);
  const fs::path dir = vmm_dir.parent_path();
  std::string resume_failure;
  try {
    make_private_dir(dir / disks_name);
    if (s.has_memory) {
      resume_failure = save_running_snapshot(vm, s, files, progress);
    } else {
      s.created_at_us = now_us();
      progress.report("copying the disks", 0.3);
      deps_.capabilities.save_disks(vm, dir / disks_name);  // a crash now: snapshot.before-record's
    }
    s.size_bytes = apparent_bytes(dir);
    BANGER_FAULT_POINT("snapshot.before-record");
    store.insert_snapshot(s);
  } catch (...) {
    files.drop(s.id);
    throw;
  }
  room.reset();
  BANGER_FAULT_POINT("snapshot.recorded");
  if (deps_.snapshot_events != nullptr) deps_.snapshot_events->snapshot_added(s);
  if (!resume_failure.empty()) {
    // The checkpoint holds this very instant: the VM goes on from it in a new VMM.
    log::warn("VM '{}': restoring it from its checkpoint '{}' to run on", vm.name, s.name);
    restore_snapshot_locked(std::move(vm), s, progress);
  }
  progress.report("done", 1.0);
  return s;
}

VmRecord VmManager::restore_snapshot(const std::string& snapshot_id, ProgressSink& progress) {
  auto found = snapshot_store().find_snapshot(snapshot_id);
  if (!found) throw Error(ErrorKind::invalid_args, fmt::format("no checkpoint {}", snapshot_id));
  auto [guard, vm] = lock(found->vm_id);
  require_allowed(Verb::restore_snapshot, vm.state, vm.name);
  const auto snapshot = snapshot_of(vm, snapshot_id);  // read again under the lock: a Delete may have taken it
  return restore_snapshot_locked(std::move(vm), snapshot, progress);
}

VmRecord VmManager::restore_snapshot_locked(VmRecord vm, const SnapshotRecord& snapshot, ProgressSink& progress) {
  std::optional<SavedStateManifest> memory;
  if (snapshot.has_memory) {
    memory = snapshot_files(vm.id).find(snapshot.id);
    if (!memory)
      throw Error(ErrorKind::backend_failed,
                  fmt::format("checkpoint '{}' of VM '{}' has lost its saved state", snapshot.name, vm.name));
    // Refused before anything is touched: the VM stays as it is.
    if (auto why = why_not_loadable(*memory, running_manifest(vm)); !why.empty())
      throw Error(ErrorKind::invalid_state,
                  fmt::format("cannot restore checkpoint '{}' of VM '{}': {}", snapshot.name, vm.name, why));
  }
  progress.report("stopping the VM", 0.1);
  if (vm.state != VmState::created && vm.state != VmState::stopped)
    vm = stop_locked(std::move(vm), true, fmt::format("killed to restore checkpoint '{}'", snapshot.name));
  BANGER_FAULT_POINT("restore.vm-stopped");
  progress.report("copying the disks back", 0.3);
  install_snapshot(vm, snapshot, memory ? &*memory : nullptr);
  if (memory) {
    progress.report("loading the saved state", 0.7);
    vm = start_locked(std::move(vm));
  }
  progress.report("done", 1.0);
  return vm;
}

void VmManager::install_snapshot(VmRecord& vm, const SnapshotRecord& snapshot, const SavedStateManifest* memory) {
  SavedStates files = snapshot_files(vm.id);
  const fs::path intent = snapshots_root() / vm.id / restoring_name;
  // From here on a restarted bangerd finishes the restore (finish_snapshot_restores).
  write_file_atomically(intent, snapshot.id);
  deps_.capabilities.restore_disks(vm, snapshot_disks_dir(vm.id, snapshot.id));
  BANGER_FAULT_POINT("restore.disks-copied");
  const auto reason = fmt::format("restored checkpoint '{}'", snapshot.name);
  if (memory != nullptr) {
    // The VM becomes suspended at the checkpoint's instant; its Start loads (and
    // then drops) this copy, so the checkpoint can be restored again.
    const fs::path into = saved_.begin(vm.id);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(files.files(snapshot.id), ec))
      if (entry.is_regular_file(ec)) copy_sparse_durably(entry.path(), into / entry.path().filename());
    if (ec)
      throw Error(ErrorKind::backend_failed,
                  fmt::format("cannot read checkpoint '{}' of VM '{}': {}", snapshot.name, vm.name, ec.message()));
    saved_.commit(vm.id, *memory);
    BANGER_FAULT_POINT("restore.state-installed");
    commit_state(vm, VmState::suspended, reason);
  } else {
    log::info("VM '{}': {}", vm.name, reason);
  }
  snapshot_store().set_latest_snapshot(vm.id, snapshot.id);
  std::error_code ignored;
  fs::remove(intent, ignored);
}

void VmManager::delete_snapshot(const std::string& snapshot_id) {
  SnapshotStore& store = snapshot_store();
  auto found = store.find_snapshot(snapshot_id);
  if (!found) throw Error(ErrorKind::invalid_args, fmt::format("no checkpoint {}", snapshot_id));
  // The VM's lock: a restore of it may be reading its files.
  auto [guard, vm] = lock(found->vm_id);
  const auto snapshot = snapshot_of(vm, snapshot_id);
  auto children = store.delete_snapshot(snapshot.id);
  BANGER_FAULT_POINT("snapshot.row-deleted");
  snapshot_files(vm.id).drop(snapshot.id);  // after the row: a crash between leaves files recovery removes
  if (deps_.snapshot_events == nullptr) return;
  deps_.snapshot_events->snapshot_removed(snapshot);
  for (const auto& child : children) deps_.snapshot_events->snapshot_changed(child);
}

std::vector<SnapshotRecord> VmManager::snapshots() {
  return deps_.snapshots == nullptr ? std::vector<SnapshotRecord>{} : deps_.snapshots->list_all_snapshots();
}

void VmManager::remove_snapshots_of(const VmRecord& vm) noexcept {
  std::error_code ec;
  fs::remove_all(snapshots_root() / vm.id, ec);
  if (ec) log::warn("cannot remove the checkpoints of VM '{}': {}", vm.name, ec.message());
}

void VmManager::finish_snapshot_restores() {
  if (deps_.snapshots == nullptr) return;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(snapshots_root(), ec)) {
    const fs::path intent = entry.path() / restoring_name;
    if (!fs::exists(intent, ec)) continue;
    const auto vm = deps_.store.find_vm(entry.path().filename().string());
    const auto snapshot = deps_.snapshots->find_snapshot(read_small_file(intent));
    if (vm && snapshot && snapshot->vm_id == vm->id &&
        (vm->state == VmState::stopped || vm->state == VmState::created)) {
      VmRecord v = *vm;
      log::warn("VM '{}' was being restored to checkpoint '{}' when bangerd stopped; finishing the restore", v.name,
                snapshot->name);
      try {
        auto memory = snapshot->has_memory ? snapshot_files(v.id).find(snapshot->id) : std::nullopt;
        install_snapshot(v, *snapshot, memory ? &*memory : nullptr);
        continue;
      } catch (const std::exception& e) {
        log::error("VM '{}': cannot finish restoring checkpoint '{}': {}", v.name, snapshot->name, e.what());
      }
    }
    fs::remove(intent, ec);
  }
}

void VmManager::drop_stray_snapshots() {
  if (deps_.snapshots == nullptr) return;
  const auto rows = deps_.snapshots->list_all_snapshots();
  auto has_row = [&](const std::string& vm_id, const std::string& id) {
    return std::any_of(rows.begin(), rows.end(), [&](const auto& s) { return s.vm_id == vm_id && s.id == id; });
  };
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(snapshots_root(), ec)) {
    const auto vm_id = entry.path().filename().string();
    if (!entry.is_directory(ec) || !is_file_safe_id(vm_id)) continue;
    if (!deps_.store.find_vm(vm_id)) {
      log::info("removing the checkpoints of the deleted VM {}", vm_id);
      fs::remove_all(entry.path(), ec);
      continue;
    }
    SavedStates files = snapshot_files(vm_id);
    for (const auto& id : files.ids()) {
      if (has_row(vm_id, id)) continue;
      log::info("removing checkpoint {} of VM {}: it was never finished", id, vm_id);
      files.drop(id);
    }
  }
  for (const auto& s : rows) {
    SavedStates files = snapshot_files(s.vm_id);
    const bool whole = fs::is_directory(files.files(s.id).parent_path() / disks_name, ec) &&
                       (!s.has_memory || files.find(s.id).has_value());
    if (whole) continue;
    log::warn("dropping checkpoint '{}' of VM {}: its files are gone", s.name, s.vm_id);
    deps_.snapshots->delete_snapshot(s.id);
    files.drop(s.id);
  }
}

}  // namespace banger
