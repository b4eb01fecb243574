#pragma once
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <sdbus-c++/Types.h>

#include "core/image_parts.h"

namespace banger {

// ImportImage's parts as the caller sent them: each a file descriptor (h) or a
// path (s) the daemon opens only after polkit said yes.
struct ImagePartsRequest {
  ImageSources fds;
  std::map<ImagePart, std::string> paths;
};

// Error(invalid_args) for an unknown key, a wrong type or a relative path.
ImagePartsRequest read_image_parts(const std::map<std::string, sdbus::Variant>& parts);
// Who asks, for opening the paths (issue 17, finding 4).
struct ImportRights {
  uid_t caller = static_cast<uid_t>(-1);  // as the bus vouches for it (bus/caller.h)
  std::vector<std::filesystem::path> off_limits;  // bangerd's own directories (core/off_limits.h)
};

// Opens the paths with the caller's rights, never bangerd's (core/open_as_user.h;
// root callers open as root): Error(access_denied) naming a path the caller
// may not read, Error(invalid_args) naming one that cannot be opened at all.
// Any part, path or fd, inside an off-limits directory is refused
// (access_denied), whoever asks. Together with the fds, the sources to import.
ImageSources open_image_parts(ImagePartsRequest request, const ImportRights& rights);

}  // namespace banger
