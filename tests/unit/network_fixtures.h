#pragma once
// Host and event fakes shared by the NetworkManager and network capability tests.
#include <map>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/host_networks.h"
#include "core/host_taps.h"
#include "core/network_events.h"

namespace banger::testing {

// Stands in for netlink and nftables: records what the manager asks of the
// host, answers host_routes() with what the test set, and fails on demand.
class FakeHostNetworks final : public HostNetworks {
 public:
  std::vector<net::Cidr> routes;
  std::map<std::string, std::string> bridges;  // bridge → gateway/prefix
  std::vector<std::string> nat;                // bridges masqueraded by the last apply_nat
  int nat_applied = 0;
  bool fail_bridge = false;
  bool fail_nat = false;

  std::vector<net::Cidr> host_routes() override { return routes; }
  void ensure_bridge(const NetworkRecord& n) override {
    if (fail_bridge) throw Error(ErrorKind::backend_failed, "injected bridge failure");
    bridges[n.bridge] = n.gateway + "/" + n.subnet.substr(n.subnet.find('/') + 1);
  }
  void remove_bridge(const std::string& bridge) override { bridges.erase(bridge); }
  void apply_nat(const std::vector<NetworkRecord>& networks) override {
    if (fail_nat) throw Error(ErrorKind::backend_failed, "injected nft failure");
    ++nat_applied;
    nat.clear();
    for (const auto& n : networks)
      if (n.nat) nat.push_back(n.bridge);
  }
};

class RecordingNetworkEvents final : public NetworkEvents {
 public:
  std::vector<std::string> seen;  // "added <name>", "changed <name> nat=<0|1> leases=<n>", "removed <name>"
  void network_added(const NetworkRecord& n) override { seen.push_back("added " + n.name); }
  void network_changed(const NetworkRecord& n) override {
    seen.push_back("changed " + n.name + " nat=" + (n.nat ? "1" : "0") + " leases=" + std::to_string(n.leases.size()));
  }
  void network_removed(const NetworkRecord& n) override { seen.push_back("removed " + n.name); }
};

// Stands in for the host's taps: a set of names, with owner and bridge.
class FakeHostTaps final : public HostTaps {
 public:
  struct Tap {
    uid_t owner;
    std::string bridge;
  };
  std::map<std::string, Tap> taps;
  bool fail_create = false;

  void create(const std::string& tap, uid_t owner, const std::string& bridge) override {
    if (fail_create) throw Error(ErrorKind::backend_failed, "injected tap failure");
    taps[tap] = {owner, bridge};
  }
  void remove(const std::string& tap) override { taps.erase(tap); }
  std::vector<std::string> list() override {
    std::vector<std::string> names;
    for (const auto& [name, tap] : taps) names.push_back(name);
    return names;
  }
};

}  // namespace banger::testing
