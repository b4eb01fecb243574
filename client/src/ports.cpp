#include "banger/client.h"

#include "client_impl.h"

namespace banger::client {

std::vector<GuestPort> Client::guest_ports(const std::string& ref) {
  std::vector<GuestPort> out;
  impl_->on_vm(ref, [&](VmProxy& vm) {
    for (const auto& port : vm.Ports()) out.push_back({port.get<0>(), port.get<1>(), port.get<2>()});
  });
  return out;
}

}  // namespace banger::client
