#pragma once
// bangerd's own directories are off limits to what callers hand it to read
// (issue 17, finding 4): the state directory holds its SSH key, the database
// and every user's disks, the runtime directory its sockets. Whoever asks,
// root included, an import never copies from there.
#include <filesystem>
#include <optional>
#include <vector>

namespace banger {

// The directory of `dirs` that holds the file open as `fd`, or nullopt. Where
// the file really is counts, not the name a caller gave: the kernel's path of
// the open file (/proc/self/fd), each of its ancestors compared with `dirs` by
// device and inode, so neither symlinks nor another mount of the same
// directory lead around it. Directories in `dirs` that do not exist hold
// nothing.
std::optional<std::filesystem::path> off_limits_dir_holding(int fd, const std::vector<std::filesystem::path>& dirs);

}  // namespace banger
