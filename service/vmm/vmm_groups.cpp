#include "vmm/vmm_groups.h"

#include <sys/stat.h>

namespace banger {

std::vector<gid_t> kvm_device_groups(const std::filesystem::path& kvm_device) {
  struct stat st {};
  if (kvm_device.empty() || stat(kvm_device.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) return {};
  const bool group_may_use = (st.st_mode & (S_IRGRP | S_IWGRP)) == (S_IRGRP | S_IWGRP);
  if (st.st_gid == 0 || !group_may_use) return {};
  return {st.st_gid};
}

}  // namespace banger
