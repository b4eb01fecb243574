#include "core/stored_attachments.h"

namespace banger {

std::optional<VmAttachment> StoredAttachments::attachment_of(const VmRecord& vm) {
  if (vm.network.empty()) return std::nullopt;
  auto network = networks_.find_network(vm.network);
  if (!network) return std::nullopt;
  auto lease = network->leases.find(vm.id);
  if (lease == network->leases.end()) return std::nullopt;
  std::string address = lease->second;
  std::string dns_name = vm.name + "." + network->dns_domain;
  return VmAttachment{std::move(*network), std::move(address), std::move(dns_name)};
}

std::vector<DnsEntry> StoredAttachments::dns_entries(const std::string& network_name) {
  auto network = networks_.find_network(network_name);
  if (!network) return {};
  std::vector<DnsEntry> entries;
  for (const auto& vm : vms_.list_vms()) {
    if (vm.network != network_name) continue;
    if (auto lease = network->leases.find(vm.id); lease != network->leases.end())
      entries.push_back({vm.name, lease->second});
  }
  return entries;
}

}  // namespace banger
