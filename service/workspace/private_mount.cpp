#include "workspace/private_mount.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "disks/tool.h"

namespace banger::workspace {

namespace {

void in_private_namespace(const std::filesystem::path& image,
                          const std::function<void(const std::filesystem::path&)>& work) {
  // Also unshares the thread's working directory (CLONE_FS), which the extraction changes.
  if (unshare(CLONE_NEWNS) != 0)
    throw Error(ErrorKind::backend_failed, fmt::format("cannot make a private mount namespace: {}", std::strerror(errno)));
  // Mount events must not travel back to the host's namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw Error(ErrorKind::backend_failed, fmt::format("cannot make mounts private: {}", std::strerror(errno)));
  char pattern[] = "/tmp/banger-workspace-XXXXXX";
  if (mkdtemp(pattern) == nullptr)
    throw Error(ErrorKind::backend_failed, fmt::format("cannot make a mount point: {}", std::strerror(errno)));
  const std::filesystem::path root(pattern);
  try {
    // The child inherits this thread's namespace, so the mount stays in it.
    disks::run_tool({"mount", "-t", "ext4", "-o", "loop,nosuid,nodev", image.string(), root.string()});
    try {
      work(root);
    } catch (...) {
      std::filesystem::current_path("/");
      disks::run_tool({"umount", root.string()});
      throw;
    }
    std::filesystem::current_path("/");
    disks::run_tool({"umount", root.string()});
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(root, ignored);
    throw;
  }
  std::error_code ignored;
  std::filesystem::remove(root, ignored);
}

}  // namespace

void with_private_mount(const std::filesystem::path& image,
                        const std::function<void(const std::filesystem::path& root)>& work) {
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      in_private_namespace(image, work);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace banger::workspace
