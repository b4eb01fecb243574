#pragma once
// Running scripts/build-default-image.sh for `bangerctl image build`.

#include <filesystem>

namespace bangerctl {

// $BANGER_IMAGE_BUILDER, else the installed script, else the source tree's
// (bangerctl run from its build directory).
std::filesystem::path image_builder();
// $XDG_CACHE_HOME/banger/default-image, else ~/.cache/banger/default-image.
std::filesystem::path default_image_cache();
// Runs the builder into `output` with its output on stderr (stdout stays for
// bangerctl's own); throws std::runtime_error when it fails.
void run_image_builder(const std::filesystem::path& builder, const std::filesystem::path& output);

}  // namespace bangerctl
