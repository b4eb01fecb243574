#pragma once
#include <map>
#include <memory>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"
#include "core/network.h"
#include "dev.banger.banger1.Network_adaptor.h"

namespace banger {

// One exported network. Properties answer from the cached record.
class NetworkObject final
    : public sdbus::AdaptorInterfaces<dev::banger::banger1::Network_adaptor, sdbus::Properties_adaptor>,
      public std::enable_shared_from_this<NetworkObject> {
 public:
  // Exports the object and announces it (InterfacesAdded).
  NetworkObject(BusContext& ctx, NetworkRecord network);
  ~NetworkObject();

  const NetworkRecord& record() const { return network_; }
  const std::string& path() const { return getObject().getObjectPath(); }
  void update(const NetworkRecord& network);
  void announce_removal();

  // Delete, shared with Manager.DeleteNetwork.
  void remove(sdbus::Result<>&& result, const Caller& caller);

 private:
  void SetNAT(sdbus::Result<>&& result, bool nat) override;
  void Delete(sdbus::Result<>&& result) override;

  std::string Name() override { return network_.name; }
  std::string Bridge() override { return network_.bridge; }
  std::string Subnet() override { return network_.subnet; }
  std::string Gateway() override { return network_.gateway; }
  bool NAT() override { return network_.nat; }
  std::string DNSDomain() override { return network_.dns_domain; }
  std::map<std::string, std::string> Leases() override { return network_.leases; }

  BusContext& ctx_;
  NetworkRecord network_;
};

}  // namespace banger
