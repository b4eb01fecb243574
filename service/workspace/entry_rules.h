#pragma once
#include <set>
#include <string>
#include <string_view>

struct archive_entry;

namespace banger::workspace {

// The rules every workspace entry obeys, whichever way it travels: a relative
// path without "..", a regular file, directory, symlink or hard link, links
// that stay inside the tree, no entry below a symlink (writing through it could
// leave the tree). Each refusal is Error(invalid_args) naming the entry.
class EntryRules {
 public:
  // Checks `entry` and rewrites it for the destination: normalised path (no
  // leading "./"), owner root (the guest user), permission bits only. Returns
  // false for the tree's root entry ("." or "./"), which carries nothing to write.
  bool admit(archive_entry* entry);

 private:
  std::set<std::string, std::less<>> symlinks_;     // paths of symlinks admitted so far
  std::set<std::string, std::less<>> directories_;  // directories admitted or implied so far
};

// "a//./b/" → "a/b"; Error(invalid_args) naming `what` for an absolute path or
// a ".." component; "" for the root itself.
std::string normalised_relative(std::string_view path, std::string_view what);

}  // namespace banger::workspace
