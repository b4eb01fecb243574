#pragma once
#include <string>

#include "core/vmm_handles.h"

namespace banger {

// How a VMM process ended. Known for the daemon's own children (it is their
// subreaper); unknown for a VMM adopted after a restart, which is not.
struct VmmExit {
  enum class How { unknown, exited, signalled };
  How how = How::unknown;
  int value = 0;  // the exit code, or the signal number
};

// Watches VMM processes and reports each one's end to VmManager::vmm_exited.
class VmmWatch {
 public:
  virtual ~VmmWatch() = default;
  // Replaces any earlier watch of the VM.
  virtual void watch(const std::string& vm_id, const VmmProcess& process) = 0;
  virtual void unwatch(const std::string& vm_id) = 0;
};

}  // namespace banger
