#include "bus/vm_network_properties.h"

#include "core/tap_names.h"

namespace banger {

VmNetworkProperties network_properties_of(const VmRecord& vm, const NetworkRecord* network) {
  VmNetworkProperties p;
  if (vm.network.empty()) return p;
  p.network = vm.network;
  p.mac_address = net::mac_for(vm.id);
  p.tap_device = net::tap_name_for(vm.id);
  if (network == nullptr) return p;
  if (auto lease = network->leases.find(vm.id); lease != network->leases.end()) {
    p.ipv4_address = lease->second;
    p.dns_name = vm.name + "." + network->dns_domain;
  }
  return p;
}

}  // namespace banger
