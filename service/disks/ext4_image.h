#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

namespace banger::disks {

// ext4 filesystem images in plain (sparse) files, made and grown offline with
// e2fsprogs. Errors: Error(invalid_args) for a size that does not fit (a
// shrink, zero), Error(resource_exhausted) when the file system holding the
// image has no room, Error(backend_failed) with the tool's words otherwise.

// A new sparse file of `mib` MiB with an empty ext4 filesystem labelled
// `label`, root directory owned by root. Replaces nothing: the file must not exist.
void make_ext4(const std::filesystem::path& file, std::uint64_t mib, const std::string& label);

// Grows the file to `mib` MiB and its ext4 filesystem to fill it (e2fsck, then
// resize2fs; the filesystem must not be mounted). Equal size: nothing to do.
void grow_ext4(const std::filesystem::path& file, std::uint64_t mib);

// Grows the ext4 filesystem on `file_or_device` to fill it (e2fsck, then
// resize2fs; it must not be mounted).
void grow_filesystem(const std::filesystem::path& file_or_device);

// The file's apparent size in MiB, rounded up.
std::uint64_t size_mib(const std::filesystem::path& file);

// Refuses (resource_exhausted) `extra_bytes` more than the file system holding
// `dir` has free for root.
void require_free_space(const std::filesystem::path& dir, std::uint64_t extra_bytes, const std::string& what);

}  // namespace banger::disks
