#pragma once
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/unique_fd.h"
#include "vmm/firecracker/jailer_ids.h"

namespace banger {

// The files of a Firecracker snapshot (PUT /snapshot/create) as
// FirecrackerBackend::save_state leaves them in its directory: the microVM
// state and the guest memory. bangerd never reads them; only Firecracker does.
std::filesystem::path saved_state_file(const std::filesystem::path& dir);
std::filesystem::path saved_memory_file(const std::filesystem::path& dir);

// Punches a hole over every all-zero page of `fd` (keeping its size):
// Firecracker writes a Full snapshot's memory byte for byte, and a guest's
// memory is mostly pages it never touched. Returns false when the file system
// cannot punch holes (the file is then left whole, still correct).
bool punch_zero_pages(int fd, const std::string& what);

// Copies `in` to `out` (empty) leaving out every all-zero page, as holes: a
// Full snapshot's memory file taken out of the VMM's reach. Keeps the size.
void copy_skipping_zero_pages(int in, int out, const std::string& what);

// A Diff snapshot's memory file holds only the pages dirtied since the
// snapshot before it, at their offsets, with holes between: laid over that
// snapshot's memory file (`base`), it makes the memory at the Diff's instant,
// which loads with the Diff's state file. Zero pages inside the Diff's data
// are real (a page the guest cleared), so they are copied, never skipped.
// Never on the memory file of a running restored VMM: it maps that file, and
// the pages it has not written yet would change under its guest.
void apply_diff_memory(const std::filesystem::path& diff, const std::filesystem::path& base);

// The file a VMM running as `owner` wrote into its own staging directory,
// opened for reading only when it is what the VMM should have left there: a
// regular file of its own with one link. Not a symlink, a FIFO or a hard link
// to some host file, which a compromised VMM could plant so that bangerd
// copies a file the VMM cannot read into the saved state (and, at the next
// restore, back into the VMM's reach). Throws Error(backend_failed).
UniqueFd open_written_by(const std::filesystem::path& path, JailOwner owner);

// The allocated bytes of `path` (what it takes on disk, holes excluded).
std::uint64_t allocated_bytes(const std::filesystem::path& path);

}  // namespace banger
