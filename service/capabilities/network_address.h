#pragma once
#include "core/capability.h"
#include "core/network_manager.h"

namespace banger {

// A VM's address on its network (IPAM): the network must exist at create, the
// address is leased while the VM is provisioned and stays the VM's until it is
// deleted (the store drops leases with the VM's row). Host-free, so even a
// daemon without host networking gives every VM its stable address.
class NetworkAddress final : public Capability {
 public:
  explicit NetworkAddress(NetworkManager& networks) : networks_(networks) {}

  std::string_view name() const override { return "network-address"; }
  void check_create(const VmRecord& vm) override;  // Error(no_such_network)
  void provision(VmRecord& vm, ProgressSink& progress) override;  // Error(resource_exhausted)
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;

 private:
  NetworkManager& networks_;
};

}  // namespace banger
