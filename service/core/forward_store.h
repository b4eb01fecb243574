#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/port_forward.h"

namespace banger {

struct VmForward {
  std::string vm_id;
  PortForward forward;
};

// Persistent port forwards (beside the VMs, in the same database); a VM's go
// with its row. Thread-safe; every mutation is one transaction. Lists are
// ordered by protocol, then host port.
class ForwardStore {
 public:
  virtual ~ForwardStore() = default;

  virtual std::vector<PortForward> list_forwards(const std::string& vm_id) = 0;
  virtual std::vector<VmForward> list_all_forwards() = 0;
  // Error(exists) naming the VM that already forwards the host port (for the
  // protocol), Error(no_such_vm) for a missing VM.
  virtual void insert_forward(const std::string& vm_id, const PortForward& forward) = 0;
  // False when the VM has no forward of that host port.
  virtual bool delete_forward(const std::string& vm_id, const std::string& protocol, std::uint16_t host_port) = 0;
};

}  // namespace banger
