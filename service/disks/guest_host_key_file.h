#pragma once
#include <filesystem>
#include <string>

namespace banger::disks {

// Writes `content` as root's 0600 file `guest_path` onto a root disk that is
// not mounted (an ext4 file or device, with debugfs), replacing any file
// there, and reads it back. True when the disk now holds exactly `content`;
// false when it does not (the directory is missing, the disk is not ext4):
// then the guest keeps whatever it makes itself. debugfs runs in the disk
// sandbox (disks/sandbox.h); the secret goes to it through a memfd, never a file.
bool write_guest_secret_file(const std::filesystem::path& root_disk, const std::string& guest_path,
                             const std::string& content);

}  // namespace banger::disks
