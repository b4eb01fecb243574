#pragma once
// bangerd's state dir moved onto an xfs made with reflink=1 (a sparse loop file,
// as bench-disks and the disk tests make it), so that its disks and checkpoints
// are reflinks: bangerd stops, the state is copied over, the xfs is bind-mounted
// on the state dir (same path, so every path bangerd stored still holds) and
// bangerd starts again. Undone on destruction. The caller must already be in a
// mount namespace of its own (testing::enter_private_mount_namespace, before any
// thread starts), so nothing mounted here is seen by, or left on, the host.
#include <memory>

#include "bus_environment.h"
#include "scratch_filesystem.h"

namespace banger::bench {

class StateOnXfs {
 public:
  StateOnXfs(test::BusEnvironment& env, std::uint64_t mib);
  ~StateOnXfs();
  StateOnXfs(const StateOnXfs&) = delete;
  StateOnXfs& operator=(const StateOnXfs&) = delete;

  std::filesystem::path state_dir() const { return env_.dir() / "state"; }

 private:
  test::BusEnvironment& env_;
  testing::ScratchDir scratch_;
  std::unique_ptr<testing::ScratchFilesystem> xfs_;
  bool bound_ = false;
};

}  // namespace banger::bench
