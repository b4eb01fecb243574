#pragma once
// Tar streams for the workspace tests, written with libarchive as a client
// (or an attacker) would write them: nothing is checked on the way in.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/unique_fd.h"

namespace banger::testing {

struct TarEntry {
  std::string path;
  mode_t type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, …
  std::string content;     // a file's bytes, or a symlink's target
  std::string hardlink;    // non-empty: a hard link to this path
  mode_t perm = 0644;
  int uid = 1000;
};

inline TarEntry file(std::string path, std::string content, mode_t perm = 0644) {
  TarEntry e;
  e.path = std::move(path);
  e.content = std::move(content);
  e.perm = perm;
  return e;
}
inline TarEntry dir(std::string path, mode_t perm = 0755) {
  TarEntry e;
  e.path = std::move(path);
  e.type = AE_IFDIR;
  e.perm = perm;
  return e;
}
inline TarEntry symlink(std::string path, std::string target) {
  TarEntry e;
  e.path = std::move(path);
  e.type = AE_IFLNK;
  e.content = std::move(target);
  return e;
}
inline TarEntry hardlink(std::string path, std::string target) {
  TarEntry e;
  e.path = std::move(path);
  e.hardlink = std::move(target);
  return e;
}
inline TarEntry special(std::string path, mode_t type) {
  TarEntry e;
  e.path = std::move(path);
  e.type = type;
  return e;
}

inline std::string tar_of(const std::vector<TarEntry>& entries) {
  std::string out;
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  auto writer = [](archive*, void* data, const void* buffer, size_t length) -> la_ssize_t {
    static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  };
  archive_write_open(a.get(), &out, nullptr, writer, nullptr);
  for (const auto& e : entries) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), e.path.c_str());
    archive_entry_set_filetype(entry.get(), e.type);
    archive_entry_set_perm(entry.get(), e.perm);
    archive_entry_set_uid(entry.get(), e.uid);
    archive_entry_set_gid(entry.get(), e.uid);
    if (!e.hardlink.empty()) archive_entry_set_hardlink(entry.get(), e.hardlink.c_str());
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry.get(), e.content.c_str());
    if (e.type == AE_IFCHR || e.type == AE_IFBLK) archive_entry_set_rdev(entry.get(), makedev(1, 3));
    const bool has_data = e.type == AE_IFREG && e.hardlink.empty();
    archive_entry_set_size(entry.get(), has_data ? static_cast<la_int64_t>(e.content.size()) : 0);
    EXPECT_EQ(archive_write_header(a.get(), entry.get()), ARCHIVE_OK) << archive_error_string(a.get());
    if (has_data && !e.content.empty()) archive_write_data(a.get(), e.content.data(), e.content.size());
  }
  archive_write_close(a.get());
  return out;
}

// A descriptor reading `bytes` (a memfd, so any size fits without a reader thread).
inline UniqueFd fd_reading(const std::string& bytes) {
  UniqueFd fd(memfd_create("tar", MFD_CLOEXEC));
  EXPECT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

// A memfd to write into, and what was written.
inline UniqueFd empty_memfd() { return UniqueFd(memfd_create("tar-out", MFD_CLOEXEC)); }
inline std::string contents_of(int fd) {
  std::string out;
  lseek(fd, 0, SEEK_SET);
  char buffer[65536];
  for (ssize_t got; (got = ::read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<size_t>(got));
  return out;
}

struct ReadEntry {
  mode_t type = 0;
  mode_t perm = 0;
  la_int64_t uid = -1;
  std::string content;  // data, or the symlink target
  std::string hardlink;
};

// Every entry of a tar stream by path (test-side reader, no rules).
inline std::map<std::string, ReadEntry> entries_of(const std::string& tar) {
  std::map<std::string, ReadEntry> out;
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  EXPECT_EQ(archive_read_open_memory(a.get(), tar.data(), tar.size()), ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
    ReadEntry e;
    e.type = archive_entry_filetype(entry);
    e.perm = archive_entry_perm(entry);
    e.uid = archive_entry_uid(entry);
    if (const char* h = archive_entry_hardlink(entry)) e.hardlink = h;
    if (const char* s = archive_entry_symlink(entry)) e.content = s;
    char buffer[65536];
    for (la_ssize_t got; (got = archive_read_data(a.get(), buffer, sizeof buffer)) > 0;)
      e.content.append(buffer, static_cast<size_t>(got));
    out[archive_entry_pathname(entry)] = e;
  }
  return out;
}

}  // namespace banger::testing
