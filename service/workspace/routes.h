#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "workspace/workspaces.h"

struct ssh_session_struct;

namespace banger::workspace {

using ByteProgress = std::function<void(std::uint64_t bytes)>;

// The two ways to a work disk (see Workspaces): its image, through the
// sandboxed libext2fs program `helper` (banger-diskfs; offline_tree.cpp), or
// the running guest's /work over SSH (online_tree.cpp).
void push_offline(const std::filesystem::path& helper, const std::filesystem::path& image, int archive,
                  const PushOptions& options, const ByteProgress& progress);
void pull_offline(const std::filesystem::path& helper, const std::filesystem::path& image, int archive,
                  const PullOptions& options, const ByteProgress& progress);
void push_online(ssh_session_struct* session, int archive, const PushOptions& options, const ByteProgress& progress);
void pull_online(ssh_session_struct* session, int archive, const PullOptions& options, const ByteProgress& progress);

// ".banger-incoming-<16 random hex digits>": a staging directory at the work disk's root.
std::string staging_name();
// False for the staging directories of pushes still running (or interrupted), which a pull leaves out.
bool not_staging(std::string_view path);

}  // namespace banger::workspace
