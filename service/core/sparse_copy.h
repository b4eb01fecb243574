#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>

namespace banger {

// Called with how far into the source the copy has got (bytes, holes included).
using CopyProgress = std::function<void(std::uint64_t done)>;

// Copies `in` (from its start) to `out` keeping holes: FICLONE when the
// filesystem shares extents, else copy_file_range over the data ranges
// (SEEK_DATA/SEEK_HOLE). `out` is truncated to the source's size. Throws
// Error(resource_exhausted) when the disk is full, Error(backend_failed) else;
// `what` names the source in messages.
void copy_sparse(int in, int out, const std::string& what, const CopyProgress& progress = {});
void copy_sparse(const std::filesystem::path& from, const std::filesystem::path& to);

// Checkpoints (VM.Snapshot): copy_sparse, then the copy synced to disk, so that
// what is committed after it (a checkpoint's row) never names lost data.
void copy_sparse_durably(const std::filesystem::path& from, const std::filesystem::path& to);
// Replaces `to` whole with a durable copy of `from`, made beside it and renamed
// over it: a crash leaves either file, never half of one.
void replace_with_copy(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace banger
