#pragma once
#include <filesystem>

namespace banger::disks {

// Makes a copied root disk (an ext4 file or block device, not mounted) a new
// machine to SSH clients: removes the SSH server's host keys the source's
// guest made (dropbear's and OpenSSH's), so the copy's guest makes its own at
// first use. Error(backend_failed) when the filesystem cannot be opened.
void forget_ssh_host_keys(const std::filesystem::path& root_disk);

}  // namespace banger::disks
