#include "workspace/diskfs/ext4_tree.h"

#include <et/com_err.h>

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger::workspace {

namespace {

constexpr std::size_t chunk_size = 64 * 1024;

int file_type_of(const ext2_inode& inode) {
  if (LINUX_S_ISDIR(inode.i_mode)) return EXT2_FT_DIR;
  if (LINUX_S_ISLNK(inode.i_mode)) return EXT2_FT_SYMLINK;
  if (LINUX_S_ISCHR(inode.i_mode)) return EXT2_FT_CHRDEV;
  if (LINUX_S_ISBLK(inode.i_mode)) return EXT2_FT_BLKDEV;
  if (LINUX_S_ISFIFO(inode.i_mode)) return EXT2_FT_FIFO;
  if (LINUX_S_ISSOCK(inode.i_mode)) return EXT2_FT_SOCK;
  return EXT2_FT_REG_FILE;
}

std::uint32_t now() { return static_cast<std::uint32_t>(std::time(nullptr)); }

}  // namespace

Ext4Tree::Ext4Tree(int fd, bool writable) : writable_(writable) {
  const std::string name = std::to_string(fd);
  const int flags = EXT2_FLAG_64BITS | (writable ? EXT2_FLAG_RW : 0);
  initialize_ext2_error_table();  // libext2fs's error messages, not "Unknown code ext2 N"
  check(ext2fs_open2(name.c_str(), nullptr, flags, 0, 0, unixfd_io_manager, &fs_), "cannot open the work disk");
  // The journal is the kernel's: what it holds is not in the blocks libext2fs
  // reads, and would be replayed over what it writes. e2fsck -p replays it first.
  if (ext2fs_has_feature_journal_needs_recovery(fs_->super))
    throw Error(ErrorKind::backend_failed, "the work disk's journal needs recovery (e2fsck -p)");
  if (!writable_) return;
  check(ext2fs_read_bitmaps(fs_), "cannot read the work disk's bitmaps");
  fs_->super->s_state &= static_cast<__u16>(~EXT2_VALID_FS);
  ext2fs_mark_super_dirty(fs_);
  check(ext2fs_flush(fs_), "cannot mark the work disk in use");
}

Ext4Tree::~Ext4Tree() {
  // Without close(): whatever happened, the filesystem stays marked not clean.
  if (fs_ != nullptr) ext2fs_close_free(&fs_);
}

void Ext4Tree::close() {
  if (writable_) {
    fs_->super->s_state |= EXT2_VALID_FS;
    ext2fs_mark_super_dirty(fs_);
  }
  check(ext2fs_close_free(&fs_), "cannot write the work disk back");
}

void Ext4Tree::check(errcode_t code, const std::string& what) {
  if (code == 0) return;
  const bool full = code == EXT2_ET_BLOCK_ALLOC_FAIL || code == EXT2_ET_INODE_ALLOC_FAIL ||
                    code == EXT2_ET_DIR_NO_SPACE || code == EXT2_ET_EA_NO_SPACE;
  throw Error(full ? ErrorKind::resource_exhausted : ErrorKind::backend_failed,
              fmt::format("{}: {}", what, full ? "the work disk is full" : error_message(code)));
}

std::optional<Ext4Tree::Ino> Ext4Tree::lookup(Ino dir, const std::string& name) {
  Ino ino = 0;
  const errcode_t code = ext2fs_lookup(fs_, dir, name.c_str(), static_cast<int>(name.size()), nullptr, &ino);
  if (code == EXT2_ET_FILE_NOT_FOUND) return std::nullopt;
  check(code, fmt::format("cannot look up '{}' on the work disk", name));
  return ino;
}

ext2_inode Ext4Tree::inode(Ino ino) {
  ext2_inode inode{};
  check(ext2fs_read_inode(fs_, ino, &inode), fmt::format("cannot read inode {} of the work disk", ino));
  return inode;
}

void Ext4Tree::write_inode(Ino ino, ext2_inode& inode) {
  check(ext2fs_write_inode(fs_, ino, &inode), fmt::format("cannot write inode {} of the work disk", ino));
}

bool Ext4Tree::is_dir(Ino ino) { return LINUX_S_ISDIR(inode(ino).i_mode); }
bool Ext4Tree::is_symlink(Ino ino) { return LINUX_S_ISLNK(inode(ino).i_mode); }

std::vector<std::pair<std::string, Ext4Tree::Ino>> Ext4Tree::children(Ino dir) {
  std::vector<std::pair<std::string, Ino>> out;
  auto collect = +[](ext2_ino_t, int entry, ext2_dir_entry* dirent, int, int, char*, void* data) -> int {
    if (entry == DIRENT_DOT_FILE || entry == DIRENT_DOT_DOT_FILE || dirent->inode == 0) return 0;
    static_cast<std::vector<std::pair<std::string, Ino>>*>(data)->emplace_back(
        std::string(dirent->name, static_cast<std::size_t>(ext2fs_dirent_name_len(dirent))), dirent->inode);
    return 0;
  };
  check(ext2fs_dir_iterate2(fs_, dir, 0, nullptr, collect, &out),
        fmt::format("cannot read directory inode {} of the work disk", dir));
  return out;
}

std::string Ext4Tree::symlink_target(Ino ino) {
  auto node = inode(ino);
  const auto size = EXT2_I_SIZE(&node);
  if (size > 4096) throw Error(ErrorKind::backend_failed, fmt::format("symlink inode {} is too long", ino));
  if (ext2fs_is_fast_symlink(&node))
    return std::string(reinterpret_cast<const char*>(node.i_block), strnlen(reinterpret_cast<const char*>(node.i_block), size));
  std::string target;
  if (node.i_flags & EXT4_INLINE_DATA_FL) {
    std::vector<char> buffer(size + 128);
    std::size_t got = buffer.size();
    check(ext2fs_inline_data_get(fs_, ino, &node, buffer.data(), &got), "cannot read a symlink of the work disk");
    return std::string(buffer.data(), std::min<std::size_t>(got, size));
  }
  read_file(ino, [&](std::span<const char> chunk) { target.append(chunk.data(), chunk.size()); });
  return target.substr(0, size);
}

void Ext4Tree::read_file(Ino ino, const std::function<void(std::span<const char>)>& chunk) {
  ext2_file_t file = nullptr;
  check(ext2fs_file_open(fs_, ino, 0, &file), fmt::format("cannot open inode {} of the work disk", ino));
  std::vector<char> buffer(chunk_size);
  try {
    for (;;) {
      unsigned int got = 0;
      check(ext2fs_file_read(file, buffer.data(), static_cast<unsigned>(buffer.size()), &got),
            fmt::format("cannot read inode {} of the work disk", ino));
      if (got == 0) break;
      chunk({buffer.data(), got});
    }
  } catch (...) {
    ext2fs_file_close(file);
    throw;
  }
  check(ext2fs_file_close(file), fmt::format("cannot read inode {} of the work disk", ino));
}

void Ext4Tree::link(Ino dir, const std::string& name, Ino ino, int file_type) {
  errcode_t code = ext2fs_link(fs_, dir, name.c_str(), ino, file_type);
  if (code == EXT2_ET_DIR_NO_SPACE) {
    check(ext2fs_expand_dir(fs_, dir), fmt::format("cannot make room for '{}'", name));
    code = ext2fs_link(fs_, dir, name.c_str(), ino, file_type);
  }
  check(code, fmt::format("cannot write '{}'", name));
}

void Ext4Tree::require_room(std::uint64_t bytes, const std::string& name) {
  const std::uint64_t block = fs_->blocksize;
  const std::uint64_t blocks = (bytes + block - 1) / block;
  // The data, its extent tree (340 extents a block, each up to 32768 blocks:
  // far fewer in practice) and a block for the directory that names it.
  const std::uint64_t needed = blocks + blocks / 256 + 4;
  const std::uint64_t free_blocks = ext2fs_free_blocks_count(fs_->super);
  if (needed > free_blocks)
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("cannot write '{}' ({} MiB): the work disk is full ({} MiB free)", name, bytes >> 20,
                            (free_blocks * block) >> 20));
}

Ext4Tree::Ino Ext4Tree::make_dir(Ino parent, const std::string& name, unsigned perm) {
  errcode_t code = ext2fs_mkdir(fs_, parent, 0, name.c_str());
  if (code == EXT2_ET_DIR_NO_SPACE) {
    check(ext2fs_expand_dir(fs_, parent), fmt::format("cannot make room for '{}'", name));
    code = ext2fs_mkdir(fs_, parent, 0, name.c_str());
  }
  check(code, fmt::format("cannot make directory '{}'", name));
  const Ino ino = *lookup(parent, name);
  set_attributes(ino, perm, std::time(nullptr));
  return ino;
}

Ext4Tree::Ino Ext4Tree::make_file(Ino parent, const std::string& name, unsigned perm) {
  Ino ino = 0;
  check(ext2fs_new_inode(fs_, parent, LINUX_S_IFREG | (perm & 07777), nullptr, &ino),
        fmt::format("cannot make '{}'", name));
  link(parent, name, ino, EXT2_FT_REG_FILE);
  ext2fs_inode_alloc_stats2(fs_, ino, +1, 0);
  ext2_inode node{};
  node.i_mode = static_cast<__u16>(LINUX_S_IFREG | (perm & 07777));
  node.i_atime = node.i_ctime = node.i_mtime = now();
  node.i_links_count = 1;
  if (ext2fs_has_feature_extents(fs_->super)) {
    // An empty extent tree in the inode, as mke2fs -d makes files.
    ext2_extent_handle_t handle = nullptr;
    check(ext2fs_extent_open2(fs_, ino, &node, &handle), fmt::format("cannot make '{}'", name));
    ext2fs_extent_free(handle);
  }
  check(ext2fs_write_new_inode(fs_, ino, &node), fmt::format("cannot make '{}'", name));
  return ino;
}

void Ext4Tree::write_file(Ino ino, const std::function<std::size_t(std::span<char>)>& next) {
  ext2_file_t file = nullptr;
  check(ext2fs_file_open(fs_, ino, EXT2_FILE_WRITE, &file), fmt::format("cannot open inode {} to write", ino));
  std::vector<char> buffer(chunk_size);
  std::uint64_t total = 0;
  try {
    for (;;) {
      const std::size_t got = next(buffer);
      if (got == 0) break;
      std::size_t done = 0;
      while (done < got) {
        unsigned int written = 0;
        check(ext2fs_file_write(file, buffer.data() + done, static_cast<unsigned>(got - done), &written),
              "cannot write a file of the work disk");
        done += written;
      }
      total += got;
    }
    check(ext2fs_file_set_size2(file, total), "cannot size a file of the work disk");
  } catch (...) {
    ext2fs_file_close(file);
    throw;
  }
  check(ext2fs_file_close(file), "cannot write a file of the work disk");
}

Ext4Tree::Ino Ext4Tree::make_symlink(Ino parent, const std::string& name, const std::string& target) {
  errcode_t code = ext2fs_symlink(fs_, parent, 0, name.c_str(), target.c_str());
  if (code == EXT2_ET_DIR_NO_SPACE) {
    check(ext2fs_expand_dir(fs_, parent), fmt::format("cannot make room for '{}'", name));
    code = ext2fs_symlink(fs_, parent, 0, name.c_str(), target.c_str());
  }
  check(code, fmt::format("cannot make symlink '{}'", name));
  return *lookup(parent, name);
}

void Ext4Tree::make_hard_link(Ino parent, const std::string& name, Ino target) {
  auto node = inode(target);
  if (LINUX_S_ISDIR(node.i_mode))
    throw Error(ErrorKind::invalid_args, fmt::format("'{}' would be a hard link to a directory", name));
  link(parent, name, target, file_type_of(node));
  adjust_links(target, +1);
}

void Ext4Tree::set_attributes(Ino ino, unsigned perm, std::time_t mtime) {
  auto node = inode(ino);
  node.i_mode = static_cast<__u16>((node.i_mode & LINUX_S_IFMT) | (perm & 07777));
  node.i_uid = 0;
  node.i_gid = 0;
  ext2fs_set_i_uid_high(node, 0);
  ext2fs_set_i_gid_high(node, 0);
  node.i_mtime = static_cast<__u32>(mtime < 0 ? 0 : mtime);
  node.i_ctime = now();
  write_inode(ino, node);
}

void Ext4Tree::adjust_links(Ino ino, int by) {
  auto node = inode(ino);
  node.i_links_count = static_cast<__u16>(node.i_links_count + by);
  write_inode(ino, node);
}

void Ext4Tree::release(Ino ino) {
  auto node = inode(ino);
  node.i_links_count = 0;
  node.i_dtime = now();
  write_inode(ino, node);
  if (ext2fs_inode_has_valid_blocks2(fs_, &node))
    check(ext2fs_punch(fs_, ino, &node, nullptr, 0, ~0ULL), fmt::format("cannot free inode {}'s blocks", ino));
  // An extended attribute block (a guest's file may have one) is shared by count.
  if (const blk64_t block = ext2fs_file_acl_block(fs_, &node); block != 0) {
    __u32 count = 0;
    if (ext2fs_adjust_ea_refcount3(fs_, block, nullptr, -1, &count, ino) == 0 && count == 0)
      ext2fs_block_alloc_stats2(fs_, block, -1);
    node = inode(ino);
    ext2fs_file_acl_block_set(fs_, &node, 0);
    write_inode(ino, node);
  }
  ext2fs_inode_alloc_stats2(fs_, ino, -1, LINUX_S_ISDIR(node.i_mode) ? 1 : 0);
}

void Ext4Tree::remove_all(Ino parent, const std::string& name) {
  const auto ino = lookup(parent, name);
  if (!ino) return;
  const bool dir = is_dir(*ino);
  if (dir)
    for (const auto& [child, ignored] : children(*ino)) remove_all(*ino, child);
  check(ext2fs_unlink(fs_, parent, name.c_str(), *ino, 0), fmt::format("cannot remove '{}'", name));
  if (dir) {
    adjust_links(parent, -1);  // its ".."
    release(*ino);
    return;
  }
  auto node = inode(*ino);
  if (node.i_links_count > 1) {
    adjust_links(*ino, -1);
    return;
  }
  release(*ino);
}

void Ext4Tree::move(Ino from, const std::string& name, Ino to, const std::string& new_name) {
  const auto ino = lookup(from, name);
  if (!ino) throw Error(ErrorKind::internal, fmt::format("'{}' is not there to move", name));
  const auto node = inode(*ino);
  link(to, new_name, *ino, file_type_of(node));
  check(ext2fs_unlink(fs_, from, name.c_str(), *ino, 0), fmt::format("cannot move '{}'", name));
  if (!LINUX_S_ISDIR(node.i_mode) || from == to) return;
  // A directory's ".." names its parent, which counts it as a link.
  auto repoint = +[](ext2_ino_t, int entry, ext2_dir_entry* dirent, int, int, char*, void* data) -> int {
    if (entry != DIRENT_DOT_DOT_FILE) return 0;
    dirent->inode = *static_cast<Ino*>(data);
    return DIRENT_CHANGED | DIRENT_ABORT;
  };
  Ino parent = to;
  check(ext2fs_dir_iterate2(fs_, *ino, DIRENT_FLAG_INCLUDE_EMPTY, nullptr, repoint, &parent),
        fmt::format("cannot move '{}'", name));
  adjust_links(from, -1);
  adjust_links(to, +1);
}

}  // namespace banger::workspace
