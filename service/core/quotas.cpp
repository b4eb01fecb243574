#include "core/quotas.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

QuotaUse quota_use(const std::vector<VmRecord>& vms, std::uint32_t owner_uid, const std::string& except_id) {
  QuotaUse use;
  for (const auto& vm : vms) {
    if (vm.owner_uid != owner_uid || vm.id == except_id) continue;
    ++use.vms;
    use.vcpus += vm.vcpus;
    use.memory_mib += vm.memory_mib;
  }
  return use;
}

void enforce_quota(const UserQuota& quota, const std::vector<VmRecord>& vms, const VmRecord* before,
                   const VmRecord& after) {
  if (after.owner_uid == 0) return;
  const QuotaUse use = quota_use(vms, after.owner_uid, after.id);
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
}

}  // namespace banger
