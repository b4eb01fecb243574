#pragma once
#include <filesystem>
#include <functional>

namespace banger::workspace {

// Mounts the ext4 image `image` (loop device, nosuid, nodev) in a mount
// namespace of a dedicated thread, so the host never sees it, runs `work`
// there with the mount's root, then unmounts (which frees the loop device).
// `work` runs with its own working directory, private to that thread.
// What `work` throws is rethrown here; mount failures are Error(backend_failed).
void with_private_mount(const std::filesystem::path& image, const std::function<void(const std::filesystem::path& root)>& work);

}  // namespace banger::workspace
