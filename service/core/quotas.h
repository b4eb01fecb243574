#pragma once
#include <cstdint>
#include <vector>

#include "core/vm.h"

namespace banger {

// [quotas]: what one owner (uid) may hold across all of their VMs, creating
// ones included. 0 = unlimited. Root (uid 0) is never limited: it is the
// administrator, and the daemon's own tools run as root. Members of group
// banger are limited like everyone else for the VMs they own themselves (their
// group lets them manage others' VMs, not hold more).
struct UserQuota {
  std::uint32_t max_vms = 32;
  std::uint32_t max_vcpus = 64;
  std::uint64_t max_memory_mib = 65536;
};

// What one owner's VMs add up to.
struct QuotaUse {
  std::uint32_t vms = 0;
  std::uint64_t vcpus = 0;
  std::uint64_t memory_mib = 0;
};

// The use of `owner_uid` over `vms`, leaving out the VM with id `except_id`.
QuotaUse quota_use(const std::vector<VmRecord>& vms, std::uint32_t owner_uid, const std::string& except_id);

// Refuses `after` with Error(resource_exhausted), naming the limit and the
// current use, when it would take its owner over `quota`. `before` is the VM's
// record ahead of a change (nullptr for a new VM): a change is checked only for
// the limits it raises, so an owner over a lowered quota can still shrink or
// rename. `vms` is every VM record (the caller holds the lock that keeps it current).
void enforce_quota(const UserQuota& quota, const std::vector<VmRecord>& vms, const VmRecord* before,
                   const VmRecord& after);

}  // namespace banger
