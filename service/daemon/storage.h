#pragma once
#include <optional>
#include <string>

#include "config.h"
#include "store/handles_files.h"
#include "core/stored_attachments.h"
#include "store/sqlite_store.h"

namespace banger {

// bangerd's state and runtime directories, made (with their modes) before
// anything is written into them.
struct DaemonDirectories {
  explicit DaemonDirectories(const Config& config);
};

// The first layer of bangerd: its directories and the records kept in them.
// Every later layer reads or writes these.
struct Storage {
  explicit Storage(const Config& config);
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  DaemonDirectories directories;
  SqliteStore store;
  // Shared by the VmManager (VmManager::Deps::handles) and whatever asks which
  // VMM a VM has before the VmManager exists to answer (vmm_process).
  HandlesFiles handles;
  StoredAttachments attachments{store, store};

  // The VMM the VM's handles name (its process may have ended); nullopt without handles.
  std::optional<VmmProcess> vmm_process(const std::string& vm_id) { return vmm_process_of(handles.get(vm_id)); }
};

}  // namespace banger
