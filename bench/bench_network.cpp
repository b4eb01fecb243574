// A VM's host-side network preparation at 1 and at 100 VMs on one network,
// through the capabilities bangerd runs at create and start: the address lease
// (NetworkAddress, a store write), the persistent tap attached to the bridge
// and up (TapDevice over netlink) with its guard (the bridge banger_guard
// nftables table, as bangerd guards every tap since issue 17), and the DNS
// entry (DnsNames: the network's hosts file rewritten and dnsmasq told).
// Inside a network namespace of its own, with a store in a temp dir (the
// host's interfaces are never touched).
// Target: <= 5 ms per VM, and flat: the 100th VM costs about what the first does.

#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_support.h"
#include "capabilities/dns_names.h"
#include "config.h"
#include "capabilities/network_address.h"
#include "capabilities/tap_device.h"
#include "core/ids.h"
#include "core/network_manager.h"
#include "core/stored_attachments.h"
#include "net/host_networks_netlink.h"
#include "net/host_taps_netlink.h"
#include "net/resolved_link.h"
#include "net/tap_guard_table.h"
#include "netns.h"
#include "store/sqlite_store.h"

using namespace banger;
using banger::bench::stats;
using banger::bench::time_us;
using banger::bench::verdict;
using banger::bench::count;
using banger::bench::figure;

namespace {

class NoNetworkEvents final : public NetworkEvents {
 public:
  void network_added(const NetworkRecord&) override {}
  void network_changed(const NetworkRecord&) override {}
  void network_removed(const NetworkRecord&) override {}
};

// No systemd-resolved in the bench's namespace.
class NoResolver final : public net::ResolvedLinks {
 public:
  std::optional<std::string> unavailable() override { return "not in the bench"; }
  std::optional<std::string> register_link(const net::ResolvedLink&) override { return "not in the bench"; }
};

class NoProgress final : public ProgressSink {
 public:
  void report(std::string_view, double) override {}
};

struct Host {
  std::filesystem::path dir;
  SqliteStore store;
  net::NetlinkHostNetworks host_networks;
  NoNetworkEvents events;
  NetworkManager networks{{store, host_networks, events}, "10.77.0.0/22"};
  StoredAttachments attachments{store, store};
  net::NetlinkHostTaps host_taps;
  TapGuardTable tap_guards;
  NetworkAddress address{networks};
  TapDevice tap{attachments, host_taps, [](const VmRecord&) -> uid_t { return 0; }, &tap_guards};
  DnsNames dns;
  NoProgress progress;

  explicit Host(std::filesystem::path d)
      : dir(std::move(d)),
        store(dir / "banger.db"),
        dns(attachments, dir / "run", find_on_path("dnsmasq", "/usr/sbin/dnsmasq"), std::make_shared<NoResolver>()) {
    NetworkSpec spec;
    spec.name = "bench";
    spec.subnet = "10.78.0.0/22";  // room for 1,000 addresses
    dns.start_network(networks.create(spec));
  }

  VmRecord new_vm() {
    VmRecord vm;
    vm.id = new_vm_id();
    vm.name = "vm-" + vm.id.substr(0, 8);
    vm.state = VmState::creating;
    vm.image = "bench";
    vm.backend = "qemu";
    vm.network = "bench";
    vm.created_at_us = vm.updated_at_us = 1;
    store.insert_vm(vm);
    return vm;
  }

  // What create and start do for the VM's network; microseconds.
  double prepare(VmRecord& vm) {
    return time_us([&] {
      address.provision(vm, progress);
      dns.provision(vm, progress);
      tap.prepare_host(vm);
    });
  }

  void remove(const VmRecord& vm) {
    tap.cleanup(vm, CleanupReason::deleted);
    dns.cleanup(vm, CleanupReason::deleted);
    address.cleanup(vm, CleanupReason::deleted);
    store.delete_vm(vm.id);
  }

  // Prepares `count` VMs one after another; each one's time in microseconds.
  std::vector<double> prepare_many(int count) {
    std::vector<VmRecord> vms;
    std::vector<double> us;
    for (int i = 0; i < count; ++i) {
      vms.push_back(new_vm());
      us.push_back(prepare(vms.back()));
    }
    for (const auto& vm : vms) remove(vm);
    return us;
  }
};

}  // namespace

int main() {
  if (auto why = test::netns_unavailable({.devices = {"/dev/net/tun"}})) {
    std::cerr << "bench-network: " << *why << "\n";
    return 77;  // skipped, as the tests do (bench-all reports it)
  }
  test::ScopedNetns netns;
  std::string pattern = (std::filesystem::temp_directory_path() / "bench-network-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return 1;
  // dnsmasq reads its hosts file as nobody, as under bangerd's runtime directory.
  std::filesystem::permissions(pattern, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                            std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                            std::filesystem::perms::others_exec);
  {
    Host host(pattern);

    std::vector<double> one;  // a single VM on the network, 50 times over
    for (int round = 0; round < count(50, 3); ++round) one.push_back(host.prepare_many(1).front());
    std::vector<double> hundred;  // 100 VMs on the network, three times over
    std::vector<double> first10, last10;
    for (int round = 0; round < count(3, 1); ++round) {
      auto us = host.prepare_many(count(100, 20));
      first10.insert(first10.end(), us.begin(), us.begin() + 10);
      last10.insert(last10.end(), us.end() - 10, us.end());
      hundred.insert(hundred.end(), us.begin(), us.end());
    }
    auto s1 = stats(one), s100 = stats(hundred), head = stats(first10), tail = stats(last10);
    bool flat = tail.median_us <= 2 * head.median_us + 500;

    std::cout << fmt::format("banger network bench ({} cores, in netns {})\n", std::thread::hardware_concurrency(),
                             netns.name());
    std::cout << "  per VM: address lease (store) + DNS entry (hosts file + dnsmasq reload) + tap + bridge attach + up + guard\n";
    std::cout << fmt::format("  1 VM     median {:6.2f} ms  p99 {:6.2f} ms  target <= 5 ms  {}\n", s1.median_us / 1000,
                             s1.p99_us / 1000, verdict(s1.median_us <= 5000));
    std::cout << fmt::format("  100 VMs  median {:6.2f} ms  p99 {:6.2f} ms  target <= 5 ms  {}\n",
                             s100.median_us / 1000, s100.p99_us / 1000, verdict(s100.median_us <= 5000));
    std::cout << fmt::format("  flat: VMs 1-10 median {:6.2f} ms, VMs 91-100 median {:6.2f} ms  {}\n",
                             head.median_us / 1000, tail.median_us / 1000, verdict(flat));
    figure("network.prepare_1", s1.median_us / 1000, "ms", "<=", 5, "VM network preparation, 1 VM (median)");
    figure("network.prepare_100", s100.median_us / 1000, "ms", "<=", 5,
           fmt::format("VM network preparation, {} VMs (median)", count(100, 20)));
    figure("network.flatness", tail.median_us / std::max(head.median_us, 1.0), "x", "<=",
           2 + 500 / std::max(head.median_us, 1.0), "last 10 / first 10 VMs' preparation (flat)");
    host.dns.stop_network("bench");
    host.networks.remove("bench");
  }
  std::filesystem::remove_all(pattern);
  return 0;
}
