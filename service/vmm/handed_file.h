#pragma once
#include <sys/types.h>

#include <filesystem>

#include "core/unique_fd.h"

namespace banger {

// A VMM run as its VM's own uid reaches bangerd's files only through
// descriptors bangerd opens and hands it, which it reopens as
// /proc/self/fd/N. Reopening checks the file's own mode against the VMM's
// uid (the path's directories are skipped), so a file the uid may not read
// (images are written under bangerd's umask 0077) goes as a copy.

// A read-only descriptor of `path` that `uid` can reopen: the file itself when
// its mode lets `uid` read it, else a sealed memfd copy (mode 0777, unchangeable).
// Throws Error(backend_failed) naming `what` (the VMM, for the message).
UniqueFd readable_for(const std::filesystem::path& path, uid_t uid, const char* what);

}  // namespace banger
