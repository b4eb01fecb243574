#include "capabilities/nat_access.h"

#include <fstream>

#include <fmt/format.h>

#include "core/log.h"
#include "net/nat_forwarding.h"

namespace banger {

void NatAccess::prepare_host(const VmRecord& vm) {
  auto attachment = attachments_.attachment_of(vm);
  if (!attachment || !attachment->network.nat) return;
  if (!enable_ipv4_forwarding(forwarding_path_))
    log::warn("IPv4 forwarding was off (something changed it since bangerd set it); turned it on again for VM '{}'",
              vm.name);
}

void NatAccess::add_doctor_checks(std::vector<DoctorCheck>& checks) {
  std::string nat_networks;
  for (const auto& network : networks_.list())
    if (network.nat) nat_networks += (nat_networks.empty() ? "" : ", ") + network.name;
  if (nat_networks.empty()) {
    checks.push_back({"ip-forwarding", "ok", "no network uses NAT", "", ""});
    return;
  }
  std::ifstream in(forwarding_path_);
  char value = '0';
  in >> value;
  if (value == '1')
    checks.push_back({"ip-forwarding", "ok", "IPv4 forwarding is on", "NAT networks: " + nat_networks, ""});
  else
    checks.push_back({"ip-forwarding", "warn", "IPv4 forwarding is off",
                      fmt::format("NAT networks ({}) reach the outside only with forwarding; bangerd turns it on at "
                                  "the next VM start",
                                  nat_networks),
                      "sysctl -w net.ipv4.ip_forward=1"});
}

}  // namespace banger
