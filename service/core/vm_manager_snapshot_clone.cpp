// Snapshot.Clone, cold (issue 19): a new VM made from a checkpoint's disks.
// Unlike VM.Clone, the VM the checkpoint is of need not be stopped: its own
// disks are not read, only the copies save_disks made at the checkpoint's
// instant. The new VM has its own id, name, MAC, address, DNS name and SSH
// host key (the capabilities' provision_from_checkpoint) and boots afresh.
#include <fmt/format.h>

#include "core/errors.h"
#include "core/fault_points.h"
#include "core/options.h"
#include "core/vm_manager.h"

namespace banger {

VmRecord VmManager::begin_checkpoint_clone(const std::string& snapshot_id, const std::string& new_name,
                                           std::uint32_t owner_uid) {
  validate_vm_name(new_name);
  auto found = snapshot_store().find_snapshot(snapshot_id);
  if (!found) throw Error(ErrorKind::invalid_args, fmt::format("no checkpoint {}", snapshot_id));
  auto [guard, source] = lock(found->vm_id);
  snapshot_of(source, snapshot_id);  // read again under the lock: a Delete may have taken it
  return insert_clone(source, new_name, owner_uid);
}

VmRecord VmManager::finish_checkpoint_clone(const std::string& id, const std::string& snapshot_id,
                                            ProgressSink& progress) {
  // The checkpoint's VM first (every caller locks one VM at a time, so no cycle):
  // a Delete of the checkpoint or of its VM waits until the copies are made.
  std::optional<Locked> source;
  std::exception_ptr source_failure;
  try {
    auto found = snapshot_store().find_snapshot(snapshot_id);
    if (!found) throw Error(ErrorKind::invalid_args, fmt::format("checkpoint {} is gone", snapshot_id));
    source.emplace(lock(found->vm_id));
    snapshot_of(source->vm, snapshot_id);
  } catch (...) {
    source_failure = std::current_exception();
  }
  auto [guard, vm] = lock(id, std::nullopt, true);
  return provisioned(std::move(vm), progress, "clone", [&](VmRecord& v) {
    // Gone since the call: the copy fails and its record goes, as for any failed clone.
    if (source_failure) std::rethrow_exception(source_failure);
    const auto disks = snapshot_disks_dir(source->vm.id, snapshot_id);
    deps_.capabilities.provision_from_checkpoint(source->vm, disks, v, progress);
    BANGER_FAULT_POINT("checkpoint-clone.provisioned");
  });
}

}  // namespace banger
