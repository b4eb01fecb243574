#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/vm.h"

namespace banger {

// Persistent VM state. Implementations are thread-safe; every mutation is one
// transaction. Errors: Error(exists) when a name is taken (insert or rename),
// Error(no_such_vm) when updating/deleting a missing id, Error(internal) otherwise.
class Store {
 public:
  virtual ~Store() = default;

  virtual std::vector<VmRecord> list_vms() = 0;  // ordered by created_at_us, then id
  virtual std::optional<VmRecord> find_vm(const std::string& id) = 0;
  virtual void insert_vm(const VmRecord& vm) = 0;
  virtual void update_vm(const VmRecord& vm) = 0;  // every column but id and created_at_us
  virtual void delete_vm(const std::string& id) = 0;
};

}  // namespace banger
