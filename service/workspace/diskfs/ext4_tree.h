#pragma once
#include <ext2fs/ext2fs.h>

#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace banger::workspace {

// An ext4 filesystem worked on through libext2fs, without the host kernel
// mounting it: banger-diskfs uses it, sandboxed, on a stopped VM's work disk.
// Names are single path components. Failures are Error: resource_exhausted
// when the filesystem has no room (blocks, inodes, directory space),
// backend_failed with libext2fs's words otherwise.
class Ext4Tree {
 public:
  using Ino = ext2_ino_t;
  static constexpr Ino root = EXT2_ROOT_INO;

  // Opens the filesystem on the open descriptor `fd`. A writable tree is
  // marked "not clean" on disk until close(), so a writer killed half-way
  // leaves a filesystem the next e2fsck -p checks in full.
  Ext4Tree(int fd, bool writable);
  ~Ext4Tree();
  Ext4Tree(const Ext4Tree&) = delete;
  Ext4Tree& operator=(const Ext4Tree&) = delete;
  // Writes everything back and marks the filesystem clean.
  void close();

  std::optional<Ino> lookup(Ino dir, const std::string& name);
  ext2_inode inode(Ino ino);
  bool is_dir(Ino ino);
  bool is_symlink(Ino ino);
  // A directory's entries but "." and "..".
  std::vector<std::pair<std::string, Ino>> children(Ino dir);
  std::string symlink_target(Ino ino);
  // Calls `chunk` with the file's content, in order.
  void read_file(Ino ino, const std::function<void(std::span<const char>)>& chunk);

  // Error(resource_exhausted) unless a file of `bytes` fits: refused before
  // writing, a file never fills the disk half-way (what libext2fs leaves of a
  // write that ran out of blocks does not always come off cleanly).
  void require_room(std::uint64_t bytes, const std::string& name);
  Ino make_dir(Ino parent, const std::string& name, unsigned perm);
  // An empty regular file; write_file fills it.
  Ino make_file(Ino parent, const std::string& name, unsigned perm);
  // Appends what `next` gives (0: the end) to the file.
  void write_file(Ino ino, const std::function<std::size_t(std::span<char>)>& next);
  Ino make_symlink(Ino parent, const std::string& name, const std::string& target);
  void make_hard_link(Ino parent, const std::string& name, Ino target);
  // Permission bits, owner root, modification time.
  void set_attributes(Ino ino, unsigned perm, std::time_t mtime);
  // Removes the entry `name` of `parent`, a directory with all below it.
  void remove_all(Ino parent, const std::string& name);
  // rename(2): the entry `name` of `from` becomes `new_name` of `to` (which must not exist).
  void move(Ino from, const std::string& name, Ino to, const std::string& new_name);

 private:
  void check(errcode_t code, const std::string& what);
  void write_inode(Ino ino, ext2_inode& inode);
  void link(Ino dir, const std::string& name, Ino ino, int file_type);
  void adjust_links(Ino ino, int by);
  void release(Ino ino);

  ext2_filsys fs_ = nullptr;
  bool writable_ = false;
};

}  // namespace banger::workspace
