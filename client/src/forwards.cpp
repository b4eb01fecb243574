// Client::forward_port, remove_forward, forwards: VM.ForwardPort, VM.RemoveForward and VM.Forwards.
#include "client_impl.h"
#include "properties.h"
#include "dev.banger.banger1.VM_properties.h"

namespace banger::client {

namespace {

using BusForwards = properties::VM::Forwards::type;

std::vector<PortForwardInfo> from_bus(const BusForwards& forwards) {
  std::vector<PortForwardInfo> out;
  out.reserve(forwards.size());
  for (const auto& f : forwards) out.push_back({f.get<0>(), f.get<1>(), f.get<2>()});
  return out;
}

}  // namespace

std::vector<PortForwardInfo> forwards_from_property(const std::map<std::string, sdbus::Variant>& props) {
  BusForwards forwards;
  detail::take<properties::VM::Forwards>(props, forwards);
  return from_bus(forwards);
}

void Client::forward_port(const std::string& ref, const std::string& protocol, std::uint16_t host_port,
                          std::uint16_t guest_port) {
  impl_->on_vm(ref, [&](VmProxy& vm) { vm.ForwardPort(protocol, host_port, guest_port); });
}

void Client::remove_forward(const std::string& ref, const std::string& protocol, std::uint16_t host_port) {
  impl_->on_vm(ref, [&](VmProxy& vm) { vm.RemoveForward(protocol, host_port); });
}

std::vector<PortForwardInfo> Client::forwards(const std::string& ref) {
  std::vector<PortForwardInfo> out;
  impl_->on_vm(ref, [&](VmProxy& vm) { out = from_bus(vm.Forwards()); });
  return out;
}

}  // namespace banger::client
