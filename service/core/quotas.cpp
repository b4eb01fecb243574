#include "core/quotas.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {
namespace {

// A suspended VM's saved state counts at its bound, the guest's memory: zero
// pages are not stored, so it is often less, but never more (issue 19).
std::uint64_t disks_of(const VmRecord& vm, DiskLedger& disks) {
  return disks.root_disk_mib(vm) + vm.work_disk_mib + (vm.state == VmState::suspended ? vm.memory_mib : 0);
}

}  // namespace

QuotaUse quota_use(const std::vector<VmRecord>& vms, std::uint32_t owner_uid, const std::string& except_id,
                   DiskLedger* disks) {
  QuotaUse use;
  for (const auto& vm : vms) {
    if (vm.owner_uid != owner_uid || vm.id == except_id) continue;
    ++use.vms;
    use.vcpus += vm.vcpus;
    use.memory_mib += vm.memory_mib;
    if (disks != nullptr) use.disk_mib += disks_of(vm, *disks);
  }
  if (disks != nullptr) use.disk_mib += disks->kept_disks_mib(owner_uid) + disks->snapshots_mib(owner_uid);
  return use;
}

void enforce_quota(const UserQuota& quota, const std::vector<VmRecord>& vms, const VmRecord* before,
                   const VmRecord& after, DiskLedger* disks) {
  if (after.owner_uid == 0) return;
  const bool counts_disks = disks != nullptr && quota.max_disk_mib != 0;
  const QuotaUse use = quota_use(vms, after.owner_uid, after.id, counts_disks ? disks : nullptr);
  const auto refuse = [&](std::string_view limit, std::uint64_t max, std::string_view what, std::uint64_t in_use,
                          std::uint64_t adding) {
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("quota {} = {} reached: uid {} already uses {} {}, VM '{}' asks for {} more", limit, max,
                            after.owner_uid, in_use, what, after.name, adding));
  };
  if (before == nullptr && quota.max_vms != 0 && use.vms + 1 > quota.max_vms)
    refuse("max_vms", quota.max_vms, "VMs", use.vms, 1);
  if (quota.max_vcpus != 0 && (before == nullptr || after.vcpus > before->vcpus) &&
      use.vcpus + after.vcpus > quota.max_vcpus)
    refuse("max_vcpus", quota.max_vcpus, "vCPUs", use.vcpus, after.vcpus);
  if (quota.max_memory_mib != 0 && (before == nullptr || after.memory_mib > before->memory_mib) &&
      use.memory_mib + after.memory_mib > quota.max_memory_mib)
    refuse("max_memory_mib", quota.max_memory_mib, "MiB of memory", use.memory_mib, after.memory_mib);
  if (counts_disks) {
    const std::uint64_t wanted = disks_of(after, *disks);
    if ((before == nullptr || wanted > disks_of(*before, *disks)) && use.disk_mib + wanted > quota.max_disk_mib)
      refuse("max_disk_mib", quota.max_disk_mib, "MiB of disks", use.disk_mib, wanted);
  }
}

void enforce_snapshot_quota(const UserQuota& quota, const std::vector<VmRecord>& vms, const VmRecord& vm,
                            std::uint64_t adding_mib, DiskLedger* disks) {
  if (vm.owner_uid == 0 || disks == nullptr || quota.max_disk_mib == 0) return;
  const QuotaUse use = quota_use(vms, vm.owner_uid, {}, disks);
  if (use.disk_mib + adding_mib > quota.max_disk_mib)
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("quota max_disk_mib = {} reached: uid {} already uses {} MiB of disks, a checkpoint of VM "
                            "'{}' asks for {} more",
                            quota.max_disk_mib, vm.owner_uid, use.disk_mib, vm.name, adding_mib));
}

}  // namespace banger
