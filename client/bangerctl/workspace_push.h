#pragma once
// Pushing a folder with a progress bar, shared by `workspace push` and `create --workspace`.

#include "app.h"

#include <string>

namespace bangerctl {

// The target under /work a folder goes to by default: its own name ("/src/proj/" → "proj").
std::string default_target(const std::string& dir);

void push_folder(banger::client::Client& client, const Globals& g, const std::string& ref, const std::string& dir,
                 const banger::client::WorkspacePushOptions& options);

}  // namespace bangerctl
