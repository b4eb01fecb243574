#include "core/image_parts.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

namespace {

constexpr std::array<std::pair<ImagePart, std::string_view>, 4> names{{
    {ImagePart::kernel, "kernel"},
    {ImagePart::vmlinux, "vmlinux"},
    {ImagePart::initrd, "initrd"},
    {ImagePart::rootfs, "rootfs"},
}};

[[noreturn]] void invalid(ImagePart part, std::string_view why) {
  throw Error(ErrorKind::invalid_args, fmt::format("image part '{}': {}", to_string(part), why));
}

bool has_magic(int fd, off_t offset, std::string_view magic) {
  char buf[8] = {};
  return pread(fd, buf, magic.size(), offset) == static_cast<ssize_t>(magic.size()) &&
         std::memcmp(buf, magic.data(), magic.size()) == 0;
}

}  // namespace

std::string_view to_string(ImagePart part) {
  for (const auto& [p, name] : names)
    if (p == part) return name;
  return "unknown";
}

std::optional<ImagePart> parse_image_part(std::string_view key) {
  for (const auto& [p, name] : names)
    if (name == key) return p;
  return std::nullopt;
}

std::string_view file_name(ImagePart part) {
  switch (part) {
    case ImagePart::kernel: return "vmlinuz";
    case ImagePart::vmlinux: return "vmlinux";
    case ImagePart::initrd: return "initrd.img";
    case ImagePart::rootfs: return "rootfs.ext4";
  }
  return "unknown";
}

void validate_image_sources(const ImageSources& sources) {
  if (!sources.contains(ImagePart::rootfs))
    throw Error(ErrorKind::invalid_args, "an image needs a rootfs (parts: kernel, vmlinux, initrd, rootfs)");
  if (!sources.contains(ImagePart::kernel) && !sources.contains(ImagePart::vmlinux))
    throw Error(ErrorKind::invalid_args,
                "an image needs a kernel: 'kernel' (a bzImage, for QEMU) or 'vmlinux' (an ELF kernel, for Firecracker)");
  for (const auto& [part, fd] : sources) {
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) invalid(part, "not a regular file");
    switch (part) {
      // The x86 boot protocol's header signature.
      case ImagePart::kernel:
        if (!has_magic(fd.get(), 0x202, "HdrS")) invalid(part, "not a bzImage kernel (no boot header)");
        break;
      case ImagePart::vmlinux:
        if (!has_magic(fd.get(), 0, "\x7f" "ELF")) invalid(part, "not an ELF kernel");
        break;
      // The ext2/3/4 superblock magic 0xEF53, little-endian, at 1024 + 56.
      case ImagePart::rootfs:
        if (!has_magic(fd.get(), 1080, "\x53\xef")) invalid(part, "not an ext4 filesystem");
        break;
      case ImagePart::initrd:
        if (st.st_size == 0) invalid(part, "empty file");
        break;
    }
  }
}

}  // namespace banger
