#include "capabilities/jailer_identity.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

void JailerIdentity::check_create(const VmRecord& vm) {
  if (!ids_->held_by(vm.id) && ids_->free_count() == 0)
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("all {} jailer uids from {} are held by VMs (raise [firecracker] jailer_uid_count)",
                            ids_->count(), ids_->base()));
}

void JailerIdentity::provision(VmRecord& vm, ProgressSink&) { ids_->acquire(vm.id); }

void JailerIdentity::cleanup(const VmRecord& vm, CleanupReason reason) noexcept {
  // Stopping keeps the uid (stable across starts); only a VM that is gone frees it.
  if (reason == CleanupReason::deleted || reason == CleanupReason::create_failed) ids_->release(vm.id);
}

}  // namespace banger
