#pragma once
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/capabilities.h"
#include "core/lock_table.h"
#include "core/options.h"
#include "core/vm.h"
#include "core/vm_events.h"
#include "core/vmm_backend.h"
#include "store/store.h"

namespace banger {

struct VmManagerSettings {
  std::chrono::milliseconds lock_timeout{30000};
  std::chrono::milliseconds stop_timeout{30000};
  std::filesystem::path runtime_dir;
};

// The VM lifecycle. Every operation on an existing VM takes that VM's lock for
// its whole length and re-reads the record under it, so it acts on committed
// state; record creation is serialised by its own lock. Every state write goes
// through the state machine and is followed by a VmEvents call.
class VmManager {
 public:
  struct Deps {
    Store& store;
    VmmBackend& backend;
    Capabilities& capabilities;
    VmEvents& events;
  };
  VmManager(Deps deps, VmManagerSettings settings);

  // Create is two steps so the bus can answer at once: begin_create commits the
  // record in state creating; finish_create provisions it (on a worker). When
  // finish_create fails, the record, the object and every resource are gone.
  VmRecord begin_create(const CreateSpec& spec, std::uint32_t owner_uid);
  VmRecord finish_create(const std::string& id, ProgressSink& progress);

  VmRecord start(const std::string& id);
  VmRecord stop(const std::string& id, bool force);
  VmRecord restart(const std::string& id);
  VmRecord kill(const std::string& id);
  void remove(const std::string& id);
  VmRecord set(const std::string& id, const VmChanges& changes);
  VmRecord touch(const std::string& id);

  std::vector<VmRecord> list();

  // At start-up, before any object is exported: drop half-made VMs, adopt VMMs
  // that survived the restart and settle those that did not.
  void recover();
  // Periodically: running VMs whose VMM exited on its own become stopped.
  void reap_exited();

 private:
  struct Locked {
    LockTable::Guard guard;
    VmRecord vm;
  };
  Locked lock(const std::string& id, std::optional<std::chrono::milliseconds> timeout = std::nullopt,
              bool wait_while_creating = false);
  void commit_state(VmRecord& vm, VmState to, std::string_view reason, std::string last_error = {});
  VmRecord start_locked(VmRecord vm);
  VmRecord stop_locked(VmRecord vm, bool force, std::string_view reason);
  MachineConfig machine_for(const VmRecord& vm) const;

  Deps deps_;
  VmManagerSettings settings_;
  LockTable locks_;
  std::mutex create_mutex_;
};

}  // namespace banger
