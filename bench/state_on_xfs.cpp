#include "state_on_xfs.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

namespace banger::bench {

StateOnXfs::StateOnXfs(test::BusEnvironment& env, std::uint64_t mib) : env_(env) {
  xfs_ = std::make_unique<testing::ScratchFilesystem>(testing::ScratchFilesystem::xfs(scratch_.path(), mib));
  env_.stop_daemon();
  // --sparse=always: the image's holes stay holes on the xfs.
  test::RunOptions options;
  options.timeout = std::chrono::minutes(5);
  auto copied = test::run({"/bin/cp", "-a", "--sparse=always", state_dir().string() + "/.",
                           xfs_->mount_point().string() + "/"},
                          options);
  if (!copied.ok()) throw std::runtime_error("copying the state onto the xfs:\n" + copied.describe());
  if (::mount(xfs_->mount_point().c_str(), state_dir().c_str(), nullptr, MS_BIND, nullptr) != 0)
    throw std::runtime_error(std::string("bind-mounting the xfs on the state dir: ") + std::strerror(errno));
  bound_ = true;
  env_.start_daemon();
}

StateOnXfs::~StateOnXfs() {
  // bangerd goes back to the state it had before (what happened on the xfs is dropped with it).
  try {
    env_.stop_daemon();
    if (bound_) ::umount2(state_dir().c_str(), MNT_DETACH);
    env_.start_daemon();
  } catch (const std::exception& e) {
    std::cerr << "moving bangerd's state back off the xfs: " << e.what() << "\n";
  }
}

}  // namespace banger::bench
