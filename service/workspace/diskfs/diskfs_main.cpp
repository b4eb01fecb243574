// banger-diskfs: a stopped VM's work disk read and written through libext2fs,
// so the host kernel never mounts (and parses) what the guest wrote. bangerd
// starts it in the sandbox of disks/sandbox.h (offline_tree.cpp):
//
//   banger-diskfs pull <source>                        the tar of /work/<source> to fd 1
//   banger-diskfs push <staging> <target> <replace:0|1>  the tar on fd 0 into /work/<target>
//
// fd 3 is the work disk image. A push unpacks into the staging directory
// <staging> at the disk's root, says "staged\n" on fd 4 and commits only when
// bangerd answers 'c'; anything else (bangerd refused the stream, or died)
// removes the staging directory. bangerd checked every entry of the stream
// (workspace/entry_rules.h) before passing it on. A failure is its message on
// stderr and exit status 10 + its ErrorKind.
#include <archive.h>
#include <archive_entry.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/errors.h"
#include "workspace/archives.h"
#include "workspace/diskfs/ext4_tree.h"

namespace banger::workspace {
namespace {

using Ino = Ext4Tree::Ino;
constexpr int archive_in = 0, archive_out = 1, image = 3, control = 4;

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

[[noreturn]] void symlink_on_the_way(const std::string& walked) {
  throw Error(ErrorKind::invalid_args,
              fmt::format("'{}' on the work disk is a symlink; workspaces are not written through it", walked));
}

// --- pull ---

void write_tree(Ext4Tree& tree, Ino dir, const std::string& prefix, archive* out) {
  for (const auto& [name, ino] : tree.children(dir)) {
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    const auto node = tree.inode(ino);
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_mode(entry.get(), node.i_mode);
    archive_entry_set_mtime(entry.get(), node.i_mtime, 0);
    const bool regular = LINUX_S_ISREG(node.i_mode);
    archive_entry_set_size(entry.get(), regular ? static_cast<la_int64_t>(EXT2_I_SIZE(&node)) : 0);
    if (LINUX_S_ISLNK(node.i_mode)) archive_entry_set_symlink(entry.get(), tree.symlink_target(ino).c_str());
    if (archive_write_header(out, entry.get()) < ARCHIVE_WARN)
      throw Error(ErrorKind::backend_failed, fmt::format("cannot send '{}': {}", path, archive_error_string(out)));
    if (regular)
      tree.read_file(ino, [&](std::span<const char> chunk) {
        if (archive_write_data(out, chunk.data(), chunk.size()) < 0)
          throw Error(ErrorKind::backend_failed, fmt::format("cannot send '{}': {}", path, archive_error_string(out)));
      });
    if (LINUX_S_ISDIR(node.i_mode)) write_tree(tree, ino, path, out);
  }
}

void pull(const std::string& source) {
  Ext4Tree tree(image, false);
  Ino at = Ext4Tree::root;
  std::string walked;
  for (const auto& part : components(source)) {
    walked += walked.empty() ? part : "/" + part;
    const auto next = tree.lookup(at, part);
    if (next && tree.is_symlink(*next)) symlink_on_the_way(walked);
    if (!next || !tree.is_dir(*next))
      throw Error(ErrorKind::invalid_args, fmt::format("/work/{} is not a directory in the VM", source));
    at = *next;
  }
  auto out = tar_writer(archive_out);
  write_tree(tree, at, "", out.get());
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    throw Error(ErrorKind::backend_failed, fmt::format("cannot send the tree: {}", archive_error_string(out.get())));
}

// --- push ---

Ino resolve(Ext4Tree& tree, Ino from, const std::string& path) {
  Ino at = from;
  for (const auto& part : components(path)) {
    const auto next = tree.lookup(at, part);
    if (!next) throw Error(ErrorKind::invalid_args, fmt::format("'{}' links to '{}', which is not in the tree", path, path));
    at = *next;
  }
  return at;
}

Ino directory_in(Ext4Tree& tree, Ino parent, const std::string& name) {
  if (const auto there = tree.lookup(parent, name)) {
    if (tree.is_dir(*there)) return *there;
    tree.remove_all(parent, name);
  }
  return tree.make_dir(parent, name, 0755);
}

void extract(Ext4Tree& tree, Ino staging) {
  auto in = tar_reader(archive_in);
  for (;;) {
    archive_entry* entry = nullptr;
    const int status = archive_read_next_header(in.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN)
      throw Error(ErrorKind::invalid_args, fmt::format("the workspace stream is damaged: {}", archive_error_string(in.get())));
    const auto parts = components(archive_entry_pathname(entry));
    if (parts.empty()) continue;
    Ino dir = staging;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) dir = directory_in(tree, dir, parts[i]);
    const std::string& leaf = parts.back();
    const unsigned perm = archive_entry_perm(entry) & 07777;
    const std::time_t mtime = archive_entry_mtime(entry);
    const auto existing = tree.lookup(dir, leaf);
    if (const char* hard = archive_entry_hardlink(entry); hard != nullptr) {
      const Ino target = resolve(tree, staging, hard);
      if (existing) tree.remove_all(dir, leaf);
      tree.make_hard_link(dir, leaf, target);
      continue;
    }
    switch (archive_entry_filetype(entry)) {
      case AE_IFDIR: {
        const Ino ino = existing && tree.is_dir(*existing) ? *existing : directory_in(tree, dir, leaf);
        tree.set_attributes(ino, perm, mtime);
        break;
      }
      case AE_IFREG: {
        if (existing) tree.remove_all(dir, leaf);
        tree.require_room(static_cast<std::uint64_t>(std::max<la_int64_t>(archive_entry_size(entry), 0)),
                          archive_entry_pathname(entry));
        const Ino ino = tree.make_file(dir, leaf, perm);
        tree.write_file(ino, [&](std::span<char> buffer) -> std::size_t {
          const la_ssize_t got = archive_read_data(in.get(), buffer.data(), buffer.size());
          if (got < 0)
            throw Error(ErrorKind::invalid_args,
                        fmt::format("the workspace stream is damaged: {}", archive_error_string(in.get())));
          return static_cast<std::size_t>(got);
        });
        tree.set_attributes(ino, perm, mtime);
        break;
      }
      case AE_IFLNK: {
        if (existing) tree.remove_all(dir, leaf);
        const char* target = archive_entry_symlink(entry);
        const Ino ino = tree.make_symlink(dir, leaf, target != nullptr ? target : "");
        tree.set_attributes(ino, 0777, mtime);
        break;
      }
      default:
        throw Error(ErrorKind::invalid_args, fmt::format("workspace entry '{}' is not a file, directory or link",
                                                         archive_entry_pathname(entry)));
    }
  }
}

// Moves every entry of `from` into `into`, replacing what is there, merging directories.
void merge_into(Ext4Tree& tree, Ino from, Ino into) {
  for (const auto& [name, ino] : tree.children(from)) {
    const auto there = tree.lookup(into, name);
    if (there && tree.is_dir(ino) && tree.is_dir(*there)) {
      merge_into(tree, ino, *there);
      continue;
    }
    if (there) tree.remove_all(into, name);
    tree.move(from, name, into, name);
  }
}

// The staged tree into /work/<target>, as offline_tree.cpp did on a mount before.
void commit(Ext4Tree& tree, const std::string& staging_name, const std::string& target, bool replace) {
  const Ino staging = *tree.lookup(Ext4Tree::root, staging_name);
  const auto parts = components(target);
  if (parts.empty()) {
    merge_into(tree, staging, Ext4Tree::root);
    tree.remove_all(Ext4Tree::root, staging_name);
    return;
  }
  Ino at = Ext4Tree::root;
  std::string walked;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += walked.empty() ? parts[i] : "/" + parts[i];
    const auto next = tree.lookup(at, parts[i]);
    if (next && tree.is_symlink(*next)) symlink_on_the_way(walked);
    if (next && !tree.is_dir(*next))
      throw Error(ErrorKind::invalid_args, fmt::format("'{}' on the work disk is not a directory", walked));
    at = next ? *next : tree.make_dir(at, parts[i], 0755);
  }
  const std::string& leaf = parts.back();
  auto there = tree.lookup(at, leaf);
  if (there && tree.is_symlink(*there)) symlink_on_the_way(target);
  if (there && replace) {
    tree.remove_all(at, leaf);
    there.reset();
  }
  if (!there) {
    tree.move(Ext4Tree::root, staging_name, at, leaf);
    return;
  }
  if (!tree.is_dir(*there))
    throw Error(ErrorKind::invalid_args, fmt::format("'{}' on the work disk is not a directory", target));
  merge_into(tree, staging, *there);
  tree.remove_all(Ext4Tree::root, staging_name);
}

bool told_to_commit() {
  // MSG_NOSIGNAL: bangerd may have gone; that is a "no", not a SIGPIPE.
  if (send(control, "staged\n", 7, MSG_NOSIGNAL) != 7) return false;
  char answer = 0;
  ssize_t got;
  while ((got = read(control, &answer, 1)) < 0 && errno == EINTR) {
  }
  return got == 1 && answer == 'c';
}

void push(const std::string& staging_name, const std::string& target, bool replace) {
  Ext4Tree tree(image, true);
  const Ino staging = tree.make_dir(Ext4Tree::root, staging_name, 0755);
  try {
    extract(tree, staging);
    if (told_to_commit()) commit(tree, staging_name, target, replace);
    else tree.remove_all(Ext4Tree::root, staging_name);
  } catch (...) {
    // Whatever failed, the disk is left as it was (the failure is what counts, not this cleanup's).
    try {
      tree.remove_all(Ext4Tree::root, staging_name);
      tree.close();
    } catch (...) {
      // The tree stays marked not clean: the next transfer's e2fsck -p repairs it.
    }
    throw;
  }
  tree.close();
}

}  // namespace
}  // namespace banger::workspace

int main(int argc, char** argv) {
  using namespace banger;
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "pull") {
      workspace::pull(args[1]);
    } else if (args.size() == 4 && args[0] == "push") {
      workspace::push(args[1], args[2], args[3] == "1");
    } else {
      std::fprintf(stderr, "usage: banger-diskfs pull <source> | push <staging> <target> <0|1> (started by bangerd)\n");
      return 10 + static_cast<int>(ErrorKind::internal);
    }
  } catch (const Error& e) {
    std::fputs(e.what(), stderr);
    return 10 + static_cast<int>(e.kind());
  } catch (const std::exception& e) {
    std::fputs(e.what(), stderr);
    return 10 + static_cast<int>(ErrorKind::internal);
  }
  return 0;
}
