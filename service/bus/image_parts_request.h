#pragma once
#include <map>
#include <string>

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
// Opens the paths with the daemon's rights; Error(invalid_args) naming a path
// that cannot be opened. Together with the fds, the sources to import.
ImageSources open_image_parts(ImagePartsRequest request);

}  // namespace banger
