#pragma once
// The client's half of workspaces: tar streams of a host folder, read and
// written with the caller's own rights (libarchive).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace banger::client::detail {

// What a push sends, relative to the folder: a git checkout's tracked files
// (git ls-files) and all of .git, or, with `all` or outside git, everything.
// Sockets, fifos and devices are left out (the daemon refuses them).
struct WorkspaceTree {
  std::filesystem::path root;
  std::vector<std::string> paths;  // relative, parents before children
  std::uint64_t bytes = 0;         // regular files' sizes, for the progress
};
WorkspaceTree workspace_tree(const std::filesystem::path& dir, bool all);

// Writes the tree as a pax tar stream to the socket `fd` (send, so a reader that
// went away is an error, not SIGPIPE). Throws Error(usage) naming a file it
// cannot read; the stream then ends in a bad header, so bangerd keeps nothing.
void write_workspace(int fd, const WorkspaceTree& tree);

// Extracts the tar stream read from `fd` into `dir` (made when missing) with
// libarchive's secure flags: no absolute paths, no "..", nothing through symlinks.
void extract_workspace(int fd, const std::filesystem::path& dir);

}  // namespace banger::client::detail
