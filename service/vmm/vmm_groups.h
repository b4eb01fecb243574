#pragma once
#include <sys/types.h>

#include <filesystem>
#include <vector>

namespace banger {

// The supplementary groups an unprivileged VMM needs: the group owning the KVM
// device when that group may read and write it (Debian's "kvm", mode 0660),
// else none (the VMM then cannot use KVM, and QEMU's automatic accelerator
// finds so with its probe). Never group 0: that is root's, not KVM's.
std::vector<gid_t> kvm_device_groups(const std::filesystem::path& kvm_device);

}  // namespace banger
