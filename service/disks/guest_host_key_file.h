#pragma once
#include <filesystem>
#include <string>

namespace banger::disks {

// Writes `content` as root's 0600 file `guest_path` onto a root disk that is
// not mounted (an ext4 file or device, with debugfs), replacing any file
// there, and reads it back. True when the disk now holds exactly `content`;
// false when it does not (the directory is missing, the disk is not ext4):
// then the guest keeps whatever it makes itself. `scratch`: a directory of
// bangerd's own (0700 is made inside it) for the copies, which hold a secret.
bool write_guest_secret_file(const std::filesystem::path& root_disk, const std::string& guest_path,
                             const std::string& content, const std::filesystem::path& scratch);

}  // namespace banger::disks
