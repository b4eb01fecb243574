#pragma once
// Files that pass (or fail) image validation, for the image tests.
#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/image_parts.h"
#include "core/unique_fd.h"

namespace banger::testing {

inline void write_at(const std::filesystem::path& file, off_t offset, const std::string& data) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) f.open(file, std::ios::out | std::ios::binary);
  f.seekp(offset);
  f << data;
}

inline std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The smallest files with each part's magic: a bzImage boot header, an ELF
// header, an ext superblock (a sparse 8 MiB file), any initrd.
inline void make_bzimage(const std::filesystem::path& f) { write_at(f, 0x202, "HdrS kernel"); }
inline void make_vmlinux(const std::filesystem::path& f) { write_at(f, 0, "\x7f" "ELF vmlinux"); }
inline void make_initrd(const std::filesystem::path& f) { write_at(f, 0, "initrd"); }
inline void make_ext4(const std::filesystem::path& f) {
  write_at(f, 1080, "\x53\xef");
  write_at(f, 4 << 20, "data");
  std::filesystem::resize_file(f, 8 << 20);
}

inline UniqueFd open_read(const std::filesystem::path& f) { return UniqueFd(::open(f.c_str(), O_RDONLY | O_CLOEXEC)); }

}  // namespace banger::testing
