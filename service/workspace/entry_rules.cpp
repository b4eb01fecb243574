#include "workspace/entry_rules.h"

#include <archive_entry.h>
#include <sys/stat.h>

#include <vector>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/utf8.h"

namespace banger::workspace {

namespace {

[[noreturn]] void refuse(std::string_view path, std::string_view why) {
  throw Error(ErrorKind::invalid_args, valid_utf8(fmt::format("workspace entry '{}' refused: {}", path, why)));
}

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (!part.empty() && part != ".") out.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::string joined(const std::vector<std::string_view>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

// A symlink's target may climb with leading ".." no higher than the link's own
// directory and then only descend: it then stays inside even when what it
// descends through is itself a (checked) symlink. A ".." later in the target
// could climb out of wherever such a symlink leads, so it is refused.
void require_inside(std::string_view link_path, std::string_view target) {
  if (target.empty()) refuse(link_path, "a link without a target");
  if (target.front() == '/') refuse(link_path, fmt::format("it links to the absolute path '{}'", target));
  std::size_t depth = components(link_path).size() - 1;
  bool descending = false;
  for (const auto part : components(target)) {
    if (part != "..") {
      descending = true;
    } else if (descending) {
      refuse(link_path, fmt::format("its target '{}' climbs with '..' after descending", target));
    } else if (depth-- == 0) {
      refuse(link_path, fmt::format("its target '{}' leaves the tree", target));
    }
  }
}

}  // namespace

std::string normalised_relative(std::string_view path, std::string_view what) {
  if (!path.empty() && path.front() == '/') refuse(what, "an absolute path");
  const auto parts = components(path);
  for (const auto part : parts)
    if (part == "..") refuse(what, "a path with '..'");
  return joined(parts);
}

bool EntryRules::admit(archive_entry* entry) {
  const char* raw = archive_entry_pathname(entry);
  if (raw == nullptr) refuse("?", "an entry without a path");
  const std::string path = normalised_relative(raw, raw);
  if (path.empty()) return false;
  // A symlink admitted earlier must not be a directory on the way to a later entry.
  for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    if (symlinks_.contains(std::string_view(path).substr(0, slash)))
      refuse(raw, fmt::format("it lies below the symlink '{}'", path.substr(0, slash)));

  for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    directories_.insert(path.substr(0, slash));
  if (archive_entry_filetype(entry) == AE_IFDIR) directories_.insert(path);

  if (const char* hard = archive_entry_hardlink(entry); hard != nullptr) {
    const std::string target = normalised_relative(hard, raw);
    if (target.empty()) refuse(raw, "a hard link to the tree's root");
    archive_entry_set_hardlink(entry, target.c_str());
  } else {
    switch (archive_entry_filetype(entry)) {
      case AE_IFREG:
      case AE_IFDIR:
        break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        require_inside(path, target != nullptr ? target : "");
        if (directories_.contains(path)) refuse(raw, "a symlink in place of a directory of the tree");
        symlinks_.insert(path);
        break;
      }
      case AE_IFCHR: refuse(raw, "a character device");
      case AE_IFBLK: refuse(raw, "a block device");
      case AE_IFIFO: refuse(raw, "a fifo");
      case AE_IFSOCK: refuse(raw, "a socket");
      default: refuse(raw, "an entry of unknown type");
    }
  }
  archive_entry_set_pathname(entry, path.c_str());
  archive_entry_set_uid(entry, 0);
  archive_entry_set_gid(entry, 0);
  archive_entry_set_uname(entry, "root");
  archive_entry_set_gname(entry, "root");
  archive_entry_set_perm(entry, archive_entry_perm(entry) & 0777);
  // Extended attributes and ACLs would carry the host's identities into the guest.
  archive_entry_xattr_clear(entry);
  archive_entry_acl_clear(entry);
  return true;
}

}  // namespace banger::workspace
