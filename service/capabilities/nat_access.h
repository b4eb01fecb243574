#pragma once
#include <string>

#include "core/capability.h"
#include "core/network_manager.h"
#include "core/vm_attachment.h"

namespace banger {

// A VM's way out through its network's NAT. The masquerade rules are the
// network's (NetworkManager keeps banger's nftables table); what a VM start
// needs beyond them is IPv4 forwarding, which anything on the host may have
// turned off since: it is checked (a /proc read) and turned back on at every
// start of a VM on a NAT network.
class NatAccess final : public Capability {
 public:
  // forwarding_path: /proc/sys/net/ipv4/ip_forward (tests point elsewhere).
  NatAccess(VmAttachments& attachments, NetworkManager& networks,
            std::string forwarding_path = "/proc/sys/net/ipv4/ip_forward")
      : attachments_(attachments), networks_(networks), forwarding_path_(std::move(forwarding_path)) {}

  std::string_view name() const override { return "nat"; }
  void prepare_host(const VmRecord& vm) override;
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override;

 private:
  VmAttachments& attachments_;
  NetworkManager& networks_;
  std::string forwarding_path_;
};

}  // namespace banger
