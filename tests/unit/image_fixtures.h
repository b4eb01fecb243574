#pragma once
// Image files for the unit tests (see image_stand_ins.h) and opening them.
#include <fcntl.h>

#include <filesystem>

#include "core/unique_fd.h"
#include "image_stand_ins.h"

namespace banger::testing {

inline UniqueFd open_read(const std::filesystem::path& f) { return UniqueFd(::open(f.c_str(), O_RDONLY | O_CLOEXEC)); }

}  // namespace banger::testing
