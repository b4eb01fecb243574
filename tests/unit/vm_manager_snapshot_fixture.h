#pragma once
// The VmManager with a backend that can save state and a disks capability that
// writes a file into each checkpoint (test_vm_manager_snapshot*.cpp).
#include <fstream>

#include "core/saved_states.h"
#include "vm_manager_fixture.h"

namespace banger {

namespace fs = std::filesystem;
using ::testing::Invoke;

struct SnapshotTest : VmManagerTest {
  SnapshotTest() {
    ON_CALL(backend, saved_state_format(_)).WillByDefault(Return("vmm 1.0, tcg"));
    ON_CALL(backend, save_state(_, _)).WillByDefault(Invoke([](const std::string&, const fs::path& dir) {
      std::ofstream(dir / "memory") << "state";
      return std::uint64_t{5};
    }));
    // The disks capability's part: a disk file in the checkpoint, and back.
    ON_CALL(*cap, save_disks(_, _)).WillByDefault(Invoke([](const VmRecord& vm, const fs::path& dir) {
      std::ofstream(dir / "rootfs.ext4") << "disk of " << vm.name;
    }));
  }
  fs::path snapshot_dir(const VmRecord& vm, const SnapshotRecord& s) { return runtime / "snapshots" / vm.id / s.id; }
  fs::path saved_dir(const std::string& id) { return runtime / "saved-states" / id; }
  SnapshotRecord take(const VmRecord& vm, const std::string& name) {
    return manager.take_snapshot(manager.plan_snapshot(vm.id, name), progress);
  }
};

}  // namespace banger
