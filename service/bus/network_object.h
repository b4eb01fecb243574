#pragma once
#include <map>
#include <memory>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"
#include "core/network.h"
#include "bus/network_properties.h"
#include "dev.banger.banger1.Network_table_adaptor.h"

namespace banger {

// One exported network. Properties answer from the cached record.
class NetworkObject final
    : public sdbus::AdaptorInterfaces<properties::NetworkTableAdaptor<NetworkObject>, sdbus::Properties_adaptor>,
      public std::enable_shared_from_this<NetworkObject> {
 public:
  // Exports the object and announces it (InterfacesAdded).
  NetworkObject(BusContext& ctx, NetworkRecord network);
  ~NetworkObject();

  const NetworkRecord& record() const { return network_; }
  const std::string& path() const { return getObject().getObjectPath(); }
  void update(const NetworkRecord& network);
  void announce_removal();
  // A property's value, as a Get answers it (properties::NetworkTableAdaptor).
  template <typename Tag>
  typename Tag::type property() const {
    return properties::Network::table.get<Tag>(network_);
  }

  // Delete, shared with Manager.DeleteNetwork.
  void remove(sdbus::Result<>&& result, const Caller& caller);

 private:
  void SetNAT(sdbus::Result<>&& result, bool nat) override;
  void Delete(sdbus::Result<>&& result) override;

  BusContext& ctx_;
  NetworkRecord network_;
};

}  // namespace banger
