#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/network.h"

namespace banger {

// Persistent networks and their address leases (beside the VMs, in the same
// database). Thread-safe; every mutation is one transaction. Records come with
// their leases. Errors: Error(exists) when a name (or a lease's address) is
// taken, Error(no_such_network) for a missing name, Error(no_such_vm) when a
// lease names a VM that does not exist, Error(busy) when deleting a network
// with leases, Error(internal) otherwise.
class NetworkStore {
 public:
  virtual ~NetworkStore() = default;

  virtual std::vector<NetworkRecord> list_networks() = 0;  // ordered by name
  virtual std::optional<NetworkRecord> find_network(const std::string& name) = 0;
  virtual void insert_network(const NetworkRecord& network) = 0;  // leases are ignored
  virtual void set_network_nat(const std::string& name, bool nat) = 0;
  // Refuses (busy, naming the VMs) while any lease exists, in the same transaction.
  virtual void delete_network(const std::string& name) = 0;

  virtual void insert_lease(const std::string& network, const std::string& vm_id, const std::string& address) = 0;
  // The networks whose lease of vm_id went away.
  virtual std::vector<std::string> delete_leases(const std::string& vm_id) = 0;
};

}  // namespace banger
