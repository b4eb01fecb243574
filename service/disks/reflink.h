#pragma once
#include <filesystem>

namespace banger::disks {

// Copy-on-write file clones (FICLONE): the clone shares the source's extents,
// so it takes no time and no room until one of them is written. btrfs and xfs
// (made with reflink=1, mkfs.xfs's default since xfsprogs 5.1) can.

// True when two files in `dir` can share extents: a probe clones a small
// temporary file into another one there, and removes both.
bool reflink_works(const std::filesystem::path& dir) noexcept;

// Makes `to` (which must not exist) a clone of `from`. Returns false, leaving
// no `to`, when the filesystem cannot (no reflink support, or the two files
// are on different filesystems); throws Error(backend_failed) for any other
// failure (resource_exhausted for a full disk).
bool clone_file(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace banger::disks
