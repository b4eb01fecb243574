// Client's network methods: list, get, create, NAT on/off, delete.
#include "client_impl.h"
#include "errors_internal.h"
#include "properties.h"
#include "dev.banger.banger1.Network_properties.h"

namespace banger::client {

using detail::take;
namespace Network = properties::Network;
using detail::translate;

namespace {

NetworkInfo read_network(sdbus::IConnection& connection, const std::string& path) {
  NetworkProxy network(connection, path);
  return network_from_properties(path, network.GetAll(bus::network_interface));
}

void require_name(const std::string& name) {
  if (name.empty()) throw Error(ErrorCode::usage, {}, "empty network name");
}

}  // namespace

NetworkInfo network_from_properties(const std::string& path, const std::map<std::string, sdbus::Variant>& props) {
  NetworkInfo network;
  network.path = path;
  take<Network::Name>(props, network.name);
  take<Network::Bridge>(props, network.bridge);
  take<Network::Subnet>(props, network.subnet);
  take<Network::Gateway>(props, network.gateway);
  take<Network::NAT>(props, network.nat);
  take<Network::DNSDomain>(props, network.dns_domain);
  take<Network::Leases>(props, network.leases);
  return network;
}

std::vector<NetworkInfo> Client::list_networks() {
  std::lock_guard lock(impl_->mutex);
  return translate(
      [&] { return managed_objects<NetworkInfo>(*impl_->manager, bus::network_interface, network_from_properties); });
}

NetworkInfo Client::get_network(const std::string& name) {
  require_name(name);
  std::lock_guard lock(impl_->mutex);
  return translate([&] { return read_network(*impl_->connection, impl_->manager->GetNetwork(name)); });
}

NetworkInfo Client::create_network(const std::string& name, const NetworkOptions& options) {
  require_name(name);
  // Keys as the CreateNetwork contract names them.
  std::map<std::string, sdbus::Variant> args;
  if (options.subnet) args.emplace("subnet", sdbus::Variant(*options.subnet));
  if (options.nat) args.emplace("nat", sdbus::Variant(*options.nat));
  if (options.dns_domain) args.emplace("dns_domain", sdbus::Variant(*options.dns_domain));
  std::lock_guard lock(impl_->mutex);
  return translate([&] { return read_network(*impl_->connection, impl_->manager->CreateNetwork(name, args)); });
}

void Client::set_network_nat(const std::string& name, bool nat) {
  require_name(name);
  std::lock_guard lock(impl_->mutex);
  translate([&] {
    NetworkProxy network(*impl_->connection, impl_->manager->GetNetwork(name));
    network.SetNAT(nat);
  });
}

void Client::remove_network(const std::string& name) {
  require_name(name);
  std::lock_guard lock(impl_->mutex);
  translate([&] { impl_->manager->DeleteNetwork(name); });
}

}  // namespace banger::client
