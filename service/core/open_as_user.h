#pragma once
// Files a caller names by path, opened with that caller's rights rather than
// bangerd's (issue 17, finding 4): bangerd runs as root, so a path it opened
// itself would let any caller it serves read any root-readable file.
#include <sys/types.h>

#include <string>
#include <vector>

#include "core/unique_fd.h"

namespace banger {

// The file-system identity of a user: what the kernel checks on open.
struct FsIdentity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary, as initgroups would set them
};

// `uid`'s identity from the user database (its primary group and every group
// it is a member of). Error(access_denied) when the user database has no such
// user: then nothing says which groups the caller's rights would include.
FsIdentity fs_identity_of(uid_t uid);

struct OpenedFile {
  UniqueFd fd;
  int error = 0;  // errno of a failed open
};

// open(path, flags) with `who`'s rights: in a thread of its own that takes
// `who`'s fsuid, fsgid and supplementary groups through the raw syscalls (per
// thread in the kernel; glibc's wrappers would change every thread of
// bangerd), with no effective capability left, and ends right after, so no
// other code ever runs with them.
// Symlinks are followed with those rights too. uid 0 opens as root.
OpenedFile open_as(const FsIdentity& who, const std::string& path, int flags);

}  // namespace banger
