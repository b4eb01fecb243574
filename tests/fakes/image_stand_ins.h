#pragma once
// Stand-in image files with just what bangerd checks (boot header, ELF magic,
// ext superblock): the fake VMMs boot nothing. Shared by unit and bus tests.
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

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

inline void make_bzimage(const std::filesystem::path& f) { write_at(f, 0x202, "HdrS kernel"); }
inline void make_vmlinux(const std::filesystem::path& f) { write_at(f, 0, "\x7f" "ELF vmlinux"); }
inline void make_initrd(const std::filesystem::path& f) { write_at(f, 0, "initrd"); }
// A sparse file of `size` bytes with an ext superblock magic and some data.
inline void make_ext4(const std::filesystem::path& f, std::uintmax_t size) {
  write_at(f, 1080, "\x53\xef");
  write_at(f, static_cast<off_t>(size / 2), "data");
  std::filesystem::resize_file(f, size);
}

// vmlinuz, vmlinux, initrd.img, rootfs.ext4 (4 MiB) and not-a-kernel in `dir`.
inline void write_stand_in_image(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  make_bzimage(dir / "vmlinuz");
  make_vmlinux(dir / "vmlinux");
  make_initrd(dir / "initrd.img");
  make_ext4(dir / "rootfs.ext4", 4 << 20);
  write_at(dir / "not-a-kernel", 0, "plain text");
}

}  // namespace banger::testing
