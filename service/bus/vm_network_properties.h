#pragma once
#include <string>

#include "core/network.h"
#include "core/vm.h"

namespace banger {

// The VM's network properties (Network, IPv4Address, MACAddress, TapDevice,
// DNSName), all empty for a VM without a network.
struct VmNetworkProperties {
  std::string network;
  std::string ipv4_address;
  std::string mac_address;
  std::string tap_device;
  std::string dns_name;
  bool operator==(const VmNetworkProperties&) const = default;
};

// `network`: the VM's network's record, nullptr when it is not (yet) known.
VmNetworkProperties network_properties_of(const VmRecord& vm, const NetworkRecord* network);

}  // namespace banger
