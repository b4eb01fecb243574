#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/unique_fd.h"

namespace banger {

// The files an image is made of, as ImportImage names them.
enum class ImagePart { kernel, vmlinux, initrd, rootfs };

std::string_view to_string(ImagePart part);
std::optional<ImagePart> parse_image_part(std::string_view key);  // nullopt for an unknown key
// Its file name in <state>/images/<id>/.
std::string_view file_name(ImagePart part);

using ImageSources = std::map<ImagePart, UniqueFd>;

// Throws Error(invalid_args) unless the parts make an image: a rootfs, at least
// one kernel, every part a regular file, kernel a bzImage, vmlinux an ELF file,
// rootfs an ext2/3/4 filesystem. Reads with pread only.
void validate_image_sources(const ImageSources& sources);

}  // namespace banger
