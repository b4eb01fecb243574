#pragma once
#include <string>
#include <vector>

#include "core/network.h"

namespace banger {

// What a network serves beyond its bridge and NAT (its DNS server): started
// when the network is made and at every daemon start, stopped with it.
class NetworkServices {
 public:
  virtual ~NetworkServices() = default;
  // Throws Error(backend_failed) naming why the service cannot run.
  virtual void start_network(const NetworkRecord& network) = 0;
  virtual void stop_network(const std::string& network) noexcept = 0;
  // Start-up: stops what runs for networks not in `networks` (deleted while
  // bangerd was down).
  virtual void stop_other_networks(const std::vector<NetworkRecord>& networks) noexcept = 0;
};

}  // namespace banger
