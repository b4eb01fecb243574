#pragma once
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/vmm_handles.h"

namespace banger {

// The VMM process a backend's handles (JSON) name.
std::optional<VmmProcess> vmm_process_of(const std::string& handles);

// The backend handles (compact JSON) a handles.json file's text records;
// nullopt for a file that is not {"backend": …, "handles": {…}}.
std::optional<std::string> handles_in_file(std::string_view text);

// The backend handles of each VM that has a VMM, in memory and in
// <runtime>/vms/<id>/handles.json. The runtime file is the record (not the
// store): the runtime dir is a tmpfs, so after a host reboot no stale pid
// survives to be mistaken for a VMM. Thread-safe.
class HandlesFiles final : public VmmHandles {
 public:
  explicit HandlesFiles(std::filesystem::path runtime_dir);

  std::filesystem::path file(const std::string& vm_id) const;
  // Written atomically (temporary file, fsync, rename): a crash leaves the old
  // file or the new one, never half of one. Throws Error(backend_failed).
  void put(const std::string& vm_id, const std::string& backend, const std::string& handles) override;
  // From the cache, else (after a restart) from the file; empty when the VM has none.
  std::string get(const std::string& vm_id) override;
  // The file and the cache entry; never throws.
  void erase(const std::string& vm_id) noexcept override;
  std::optional<VmmProcess> process_in(const std::string& handles) const override { return vmm_process_of(handles); }

 private:
  std::filesystem::path runtime_dir_;
  std::mutex mutex_;
  std::map<std::string, std::string> cache_;
};

}  // namespace banger
