#include "core/network_manager.h"
#include "core/fault_points.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/ipv4.h"

namespace banger {

namespace {

constexpr std::size_t max_name_length = 12;

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorKind::invalid_args, message); }

bool is_dns_label(std::string_view label, std::size_t max_length) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return !label.empty() && label.size() <= max_length && alnum(label.front()) && alnum(label.back()) &&
         std::all_of(label.begin(), label.end(), [&](char c) { return alnum(c) || c == '-'; });
}

void validate_dns_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) invalid("option 'dns_domain' must be a DNS domain of 1-253 characters");
  std::size_t start = 0;
  while (true) {
    const auto dot = domain.find('.', start);
    if (!is_dns_label(domain.substr(start, dot - start), 63))
      invalid(fmt::format("option 'dns_domain': '{}' is not a DNS domain (lowercase labels of letters, digits "
                          "and '-', separated by dots)",
                          domain));
    if (dot == std::string_view::npos) return;
    start = dot + 1;
  }
}

std::string clash_of(net::Cidr subnet, const std::vector<NetworkRecord>& networks,
                     const std::vector<net::Cidr>& routes) {
  for (const auto& n : networks)
    if (auto other = net::parse_cidr(n.subnet); other && net::overlaps(*other, subnet))
      return fmt::format("network '{}' ({})", n.name, n.subnet);
  for (const auto& r : routes)
    if (r.prefix > 0 && net::overlaps(r, subnet)) return fmt::format("the host route to {}", net::to_string(r));
  return {};
}

}  // namespace

void validate_network_name(std::string_view name) {
  if (!is_dns_label(name, max_name_length))
    invalid(fmt::format("network name '{}' must be a DNS label of 1-{} characters: lowercase letters, digits "
                        "and '-', not starting or ending with '-'",
                        name, max_name_length));
}

NetworkSpec parse_network_options(std::string name, const OptionMap& options) {
  validate_network_name(name);
  NetworkSpec spec;
  spec.name = std::move(name);
  for (const auto& [key, value] : options) {
    if (key == "subnet") {
      spec.subnet = net::to_string(net::parse_network_subnet(option_as<std::string>(key, value)));
    } else if (key == "nat") {
      spec.nat = option_as<bool>(key, value);
    } else if (key == "dns_domain") {
      spec.dns_domain = option_as<std::string>(key, value);
      validate_dns_domain(spec.dns_domain);
    } else {
      invalid(fmt::format("unknown option '{}' (known: subnet, nat, dns_domain)", key));
    }
  }
  return spec;
}

NetworkManager::NetworkManager(Deps deps, std::string default_subnet)
    : deps_(deps), default_subnet_(net::parse_network_subnet(default_subnet)) {}

net::Cidr NetworkManager::pick_subnet(const std::vector<NetworkRecord>& networks,
                                      const std::vector<net::Cidr>& routes) const {
  // Same-sized blocks upwards from the configured one, within its private range.
  for (net::Cidr candidate = default_subnet_; net::is_private(candidate);
       candidate.address += static_cast<net::Ipv4>(net::size_of(candidate))) {
    if (clash_of(candidate, networks, routes).empty()) return candidate;
    if (net::broadcast_of(candidate) == 0xffffffffu) break;
  }
  throw Error(ErrorKind::resource_exhausted,
              fmt::format("no free /{} subnet from {} on: give the network a subnet", default_subnet_.prefix,
                          net::to_string(default_subnet_)));
}

NetworkRecord NetworkManager::insert(const NetworkSpec& spec, net::Cidr subnet) {
  NetworkRecord network;
  network.name = spec.name;
  network.bridge = std::string(bridge_name_prefix) + spec.name;
  network.subnet = net::to_string(subnet);
  network.gateway = net::to_string_ipv4(net::gateway_of(subnet).address);
  network.nat = spec.nat;
  network.dns_domain = spec.dns_domain;
  network.created_at_us = now_us();
  deps_.store.insert_network(network);
  try {
    BANGER_FAULT_POINT("network.record-inserted");
    deps_.host.ensure_bridge(network);
    BANGER_FAULT_POINT("network.bridge-made");
    deps_.host.apply_nat(deps_.store.list_networks());
    BANGER_FAULT_POINT("network.nat-applied");
    if (deps_.services != nullptr) deps_.services->start_network(network);
    BANGER_FAULT_POINT("network.dnsmasq-started");
  } catch (...) {
    // Nothing half-made: the row goes, and with it the bridge, its NAT rules and its DNS.
    try {
      if (deps_.services != nullptr) deps_.services->stop_network(network.name);
      deps_.store.delete_network(network.name);
      deps_.host.remove_bridge(network.bridge);
      deps_.host.apply_nat(deps_.store.list_networks());
    } catch (const std::exception& e) {
      log::warn("cleaning up after the failed creation of network '{}': {}", network.name, e.what());
    }
    throw;
  }
  deps_.events.network_added(network);
  log::info("created network '{}' ({}, bridge {}, NAT {})", network.name, network.subnet, network.bridge,
            network.nat ? "on" : "off");
  return network;
}

void NetworkManager::start() {
  std::lock_guard lock(mutex_);
  auto networks = deps_.store.list_networks();
  const bool has_default = std::any_of(networks.begin(), networks.end(),
                                       [](const NetworkRecord& n) { return n.name == default_network_name; });
  // A host failure here must not keep bangerd from serving everything else:
  // it is logged, and VMs on the network fail to start with the reason.
  if (!has_default) {
    try {
      const auto subnet = pick_subnet(networks, deps_.host.host_routes());
      if (subnet != default_subnet_)
        log::warn("the default subnet {} clashes with the host's routes or networks; using {}",
                  net::to_string(default_subnet_), net::to_string(subnet));
      NetworkSpec spec;
      spec.name = default_network_name;
      insert(spec, subnet);
      networks = deps_.store.list_networks();
    } catch (const Error& e) {
      log::error("cannot make the default network: {}", e.what());
    }
  }
  for (const auto& n : networks) {
    try {
      deps_.host.ensure_bridge(n);
    } catch (const Error& e) {
      log::error("network '{}': cannot set up bridge {}: {}", n.name, n.bridge, e.what());
    }
  }
  try {
    deps_.host.apply_nat(networks);
  } catch (const Error& e) {
    log::error("cannot apply the networks' NAT rules: {}", e.what());
  }
  if (deps_.services == nullptr) return;
  deps_.services->stop_other_networks(networks);
  for (const auto& n : networks) {
    try {
      deps_.services->start_network(n);
    } catch (const Error& e) {
      log::error("network '{}': {}", n.name, e.what());
    }
  }
}

NetworkRecord NetworkManager::create(const NetworkSpec& spec) {
  validate_network_name(spec.name);
  std::lock_guard lock(mutex_);
  const auto networks = deps_.store.list_networks();
  if (std::any_of(networks.begin(), networks.end(), [&](const NetworkRecord& n) { return n.name == spec.name; }))
    throw Error(ErrorKind::exists, fmt::format("a network named '{}' already exists", spec.name));
  const auto routes = deps_.host.host_routes();
  if (spec.subnet.empty()) return insert(spec, pick_subnet(networks, routes));
  const auto subnet = net::parse_network_subnet(spec.subnet);
  if (auto clash = clash_of(subnet, networks, routes); !clash.empty())
    invalid(fmt::format("subnet {} overlaps {}", net::to_string(subnet), clash));
  return insert(spec, subnet);
}

std::vector<NetworkRecord> NetworkManager::list() { return deps_.store.list_networks(); }

NetworkRecord NetworkManager::get(const std::string& name) {
  auto network = deps_.store.find_network(name);
  if (!network) throw Error(ErrorKind::no_such_network, fmt::format("no network named '{}'", name));
  return *network;
}

NetworkRecord NetworkManager::set_nat(const std::string& name, bool nat) {
  std::lock_guard lock(mutex_);
  auto network = get(name);
  if (network.nat == nat) return network;
  deps_.store.set_network_nat(name, nat);
  try {
    deps_.host.apply_nat(deps_.store.list_networks());
  } catch (...) {
    deps_.store.set_network_nat(name, !nat);
    throw;
  }
  network.nat = nat;
  deps_.events.network_changed(network);
  log::info("network '{}': NAT {}", name, nat ? "on" : "off");
  return network;
}

void NetworkManager::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (name == default_network_name)
    throw Error(ErrorKind::invalid_state, "the default network cannot be deleted (bangerd recreates it at start-up)");
  auto network = get(name);
  try {
    deps_.store.delete_network(name);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::busy)
      throw Error(ErrorKind::busy, fmt::format("cannot delete network '{}': {}", name, e.what()));
    throw;
  }
  // The row is gone, so the network is; a host leftover is logged, and the next
  // start-up's NAT rebuild drops its rules.
  try {
    deps_.host.apply_nat(deps_.store.list_networks());
    deps_.host.remove_bridge(network.bridge);
  } catch (const std::exception& e) {
    log::warn("network '{}' deleted, but removing it from the host failed: {}", name, e.what());
  }
  if (deps_.services != nullptr) deps_.services->stop_network(name);
  deps_.events.network_removed(network);
  log::info("deleted network '{}'", name);
}

std::string NetworkManager::lease(const std::string& network_name, const std::string& vm_id) {
  std::lock_guard lock(mutex_);
  auto network = get(network_name);
  if (auto held = network.leases.find(vm_id); held != network.leases.end()) return held->second;
  const auto subnet = *net::parse_cidr(network.subnet);
  std::set<net::Ipv4> taken;
  for (const auto& [vm, address] : network.leases)
    if (auto a = net::parse_ipv4(address)) taken.insert(*a);
  for (net::Ipv4 a = net::gateway_of(subnet).address + 1; a < net::broadcast_of(subnet); ++a) {
    if (taken.contains(a)) continue;
    const auto address = net::to_string_ipv4(a);
    deps_.store.insert_lease(network_name, vm_id, address);
    network.leases.emplace(vm_id, address);
    deps_.events.network_changed(network);
    return address;
  }
  throw Error(ErrorKind::resource_exhausted,
              fmt::format("network '{}' has no free address left ({} leases in {})", network_name,
                          network.leases.size(), network.subnet));
}

void NetworkManager::release(const std::string& vm_id) {
  std::lock_guard lock(mutex_);
  for (const auto& name : deps_.store.delete_leases(vm_id))
    if (auto network = deps_.store.find_network(name)) deps_.events.network_changed(*network);
}

}  // namespace banger
