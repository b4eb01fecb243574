#pragma once
// The default guest image the way a user gets it: `bangerctl image build`
// (built with BANGER_IMAGE_SCRIPT, cached in BANGER_IMAGE_DIR, both set by
// meson), imported through ImportImage with file descriptors and made the
// default when there is none.
#include <cstdlib>

#include "bus_environment.h"

namespace banger::test {

inline RunResult build_and_import_default_image(BusEnvironment& env) {
  return env.run_as("", {env.bangerctl(), "--no-progress", "image", "build", "--output", std::getenv("BANGER_IMAGE_DIR")},
                    300s, {{"BANGER_IMAGE_BUILDER", std::getenv("BANGER_IMAGE_SCRIPT")}});
}

}  // namespace banger::test
