#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/network.h"
#include "core/vm.h"

namespace banger {

// A VM's place on its network: the network, the VM's leased address and the
// host names it is known by. Tap and MAC are derived from the VM id (net/taps.h).
struct VmAttachment {
  NetworkRecord network;
  std::string address;  // "10.219.0.2", without prefix
  std::string dns_name;  // "<vm name>.<network dns_domain>"
};

// One line of a network's DNS hosts table.
struct DnsEntry {
  std::string name;  // the VM's name (a DNS label)
  std::string address;
};

// What the network capabilities (tap, NAT, DNS, SSH) ask about VMs and
// networks; NetworkManager answers it. Never throws for a VM without a network.
class VmAttachments {
 public:
  virtual ~VmAttachments() = default;
  // nullopt: the VM has no network (or holds no address on it).
  virtual std::optional<VmAttachment> attachment_of(const VmRecord& vm) = 0;
  // Every VM holding an address on `network` with its current name, for DNS.
  virtual std::vector<DnsEntry> dns_entries(const std::string& network) = 0;
};

}  // namespace banger
