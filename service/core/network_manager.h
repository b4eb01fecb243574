#pragma once
#include <mutex>
#include <string>
#include <vector>

#include "core/host_networks.h"
#include "core/network.h"
#include "core/network_events.h"
#include "core/network_services.h"
#include "core/options.h"
#include "core/network_store.h"

namespace banger {

// What CreateNetwork asks for; parse_network_options fills it from a{sv}.
struct NetworkSpec {
  std::string name;
  std::string subnet;  // empty: the next free /24 from the default network's subnet
  bool nat = true;
  std::string dns_domain = "banger";
};

// Each throws Error(invalid_args) naming what is wrong.
// A network name is a DNS label of at most 12 characters, so "bg-<name>" fits
// a Linux interface name (IFNAMSIZ - 1 = 15).
void validate_network_name(std::string_view name);
// A private IPv4 subnet (10/8, 172.16/12, 192.168/16), /16 .. /29, host bits zero.
// Options: subnet (s), nat (b), dns_domain (s: dot-separated DNS labels).
NetworkSpec parse_network_options(std::string name, const OptionMap& options);

// The host networks and their address management (IPAM). Every mutation is
// all or nothing: when the host part (bridge, NAT) fails, the store row is
// rolled back. Rows are the truth; start() re-applies them to the host.
class NetworkManager {
 public:
  struct Deps {
    NetworkStore& store;
    HostNetworks& host;
    NetworkEvents& events;
    NetworkServices* services = nullptr;  // DNS; none in the tests' daemon
  };
  // default_subnet: [network] default_subnet, the first candidate of the
  // default network (and where networks created without a subnet start).
  NetworkManager(Deps deps, std::string default_subnet);

  // At start-up: makes the default network if there is none (the first
  // candidate subnet clashing with no host route and no other network), then
  // brings every bridge up and rebuilds the NAT table. Never throws: what
  // fails is logged.
  void start();

  NetworkRecord create(const NetworkSpec& spec);  // Error(invalid_args | exists | backend_failed)
  std::vector<NetworkRecord> list();
  NetworkRecord get(const std::string& name);  // Error(no_such_network)
  NetworkRecord set_nat(const std::string& name, bool nat);
  // Error(busy) naming the VMs while any holds a lease; Error(invalid_state) for the default network.
  void remove(const std::string& name);

  // The VM's address on the network: the one it already holds, else the
  // lowest free host address (never the network, gateway or broadcast).
  // Error(resource_exhausted) when every address is taken.
  std::string lease(const std::string& network, const std::string& vm_id);
  // Frees every address the VM holds (before its row goes).
  void release(const std::string& vm_id);

 private:
  net::Cidr pick_subnet(const std::vector<NetworkRecord>& networks, const std::vector<net::Cidr>& routes) const;
  NetworkRecord insert(const NetworkSpec& spec, net::Cidr subnet);

  Deps deps_;
  net::Cidr default_subnet_;
  std::mutex mutex_;  // orders subnet choice and address allocation
};

}  // namespace banger
