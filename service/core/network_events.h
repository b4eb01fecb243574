#pragma once
#include "core/network.h"

namespace banger {

// What NetworkManager tells the bus layer (network objects and their signals).
// Called on worker threads, after the store commit.
class NetworkEvents {
 public:
  virtual ~NetworkEvents() = default;
  virtual void network_added(const NetworkRecord& network) = 0;
  virtual void network_changed(const NetworkRecord& after) = 0;  // NAT or leases
  virtual void network_removed(const NetworkRecord& network) = 0;
};

}  // namespace banger
