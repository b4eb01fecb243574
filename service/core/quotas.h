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
  // Disks by apparent size: every VM's root and work disk at the size it may
  // grow to, plus the work disks kept after a delete. Sparse disks take little
  // until the guest writes, which is exactly what this bounds. 512 GiB holds
  // max_vms VMs with the default 8 GiB work disk and their root disks.
  // A suspended VM's saved state counts as much as its memory.
  std::uint64_t max_disk_mib = 524288;
};

// What one owner's VMs add up to.
struct QuotaUse {
  std::uint32_t vms = 0;
  std::uint64_t vcpus = 0;
  std::uint64_t memory_mib = 0;
  std::uint64_t disk_mib = 0;  // counted only when a DiskLedger is given
};

// The sizes max_disk_mib counts that a VM record alone does not tell: the
// seam through which the quota learns them without core reading files.
class DiskLedger {
 public:
  virtual ~DiskLedger() = default;
  // The root disk's apparent size: its disk_mib, or its image's rootfs size when that is 0.
  virtual std::uint64_t root_disk_mib(const VmRecord& vm) = 0;
  // The work disks `owner_uid` kept after deleting their VMs.
  virtual std::uint64_t kept_disks_mib(std::uint32_t owner_uid) = 0;
  // The checkpoints of `owner_uid`'s VMs (VM.Snapshot), at their files' apparent size.
  virtual std::uint64_t snapshots_mib(std::uint32_t owner_uid) { return 0; }
};

// The use of `owner_uid` over `vms`, leaving out the VM with id `except_id`;
// with `disks`, their disks and kept disks too.
QuotaUse quota_use(const std::vector<VmRecord>& vms, std::uint32_t owner_uid, const std::string& except_id,
                   DiskLedger* disks = nullptr);

// Refuses `after` with Error(resource_exhausted), naming the limit and the
// current use, when it would take its owner over `quota`. `before` is the VM's
// record ahead of a change (nullptr for a new VM): a change is checked only for
// the limits it raises, so an owner over a lowered quota can still shrink or
// rename. `vms` is every VM record (the caller holds the lock that keeps it
// current). Without `disks`, max_disk_mib is not checked.
void enforce_quota(const UserQuota& quota, const std::vector<VmRecord>& vms, const VmRecord* before,
                   const VmRecord& after, DiskLedger* disks = nullptr);

// Refuses a new checkpoint of `vm` of up to `adding_mib` with
// Error(resource_exhausted) when it would take the VM's owner over max_disk_mib.
void enforce_snapshot_quota(const UserQuota& quota, const std::vector<VmRecord>& vms, const VmRecord& vm,
                            std::uint64_t adding_mib, DiskLedger* disks);

}  // namespace banger
