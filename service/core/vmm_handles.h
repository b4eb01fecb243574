#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace banger {

// The VMM process a backend's handles name ("pid" and "start_time").
struct VmmProcess {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  bool operator==(const VmmProcess&) const = default;
};

// Where each VM's backend handles are kept while it has a VMM, and how the
// process they name is read from them: the seam that keeps their format (JSON,
// in the runtime handles files: store/handles_files.h) out of the domain.
// Implementations are thread-safe.
class VmmHandles {
 public:
  virtual ~VmmHandles() = default;
  // Recorded durably before it returns. Throws Error(backend_failed).
  virtual void put(const std::string& vm_id, const std::string& backend, const std::string& handles) = 0;
  // Empty when the VM has none.
  virtual std::string get(const std::string& vm_id) = 0;
  virtual void erase(const std::string& vm_id) noexcept = 0;
  // The VMM process `handles` name; nullopt when they name none.
  virtual std::optional<VmmProcess> process_in(const std::string& handles) const = 0;
};

}  // namespace banger
