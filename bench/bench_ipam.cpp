// bench-ipam: the address part of a VM's network preparation — NetworkManager
// leasing an address in the on-disk store — for the 1st VM and the 100th, and
// a release. Target (with tap and bridge attach, measured by their own bench):
// ≤ 5 ms per VM, flat from 1 to 100 VMs.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_support.h"
#include "core/network_manager.h"
#include "store/sqlite_store.h"

namespace {

using namespace banger;

struct NoHost final : HostNetworks {
  std::vector<net::Cidr> host_routes() override { return {}; }
  void ensure_bridge(const NetworkRecord&) override {}
  void remove_bridge(const std::string&) override {}
  void apply_nat(const std::vector<NetworkRecord>&) override {}
};

struct NoEvents final : NetworkEvents {
  void network_added(const NetworkRecord&) override {}
  void network_changed(const NetworkRecord&) override {}
  void network_removed(const NetworkRecord&) override {}
};

VmRecord vm(int i) {
  VmRecord v;
  v.id = fmt::format("{:032x}", i);
  v.name = fmt::format("vm-{}", i);
  v.image = "img";
  return v;
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / fmt::format("banger-bench-ipam-{}", getpid());
  fs::create_directories(dir);
  {
    SqliteStore store(dir / "banger.db");
    NoHost host;
    NoEvents events;
    NetworkManager networks({store, host, events}, "10.219.0.0/24");
    networks.start();
    const int vms = bench::count(100, 10);
    for (int i = 0; i < vms; ++i) store.insert_vm(vm(i));
    std::vector<double> lease_us;
    for (int i = 0; i < vms; ++i) lease_us.push_back(bench::time_us([&] { networks.lease("default", vm(i).id); }));
    std::vector<double> again_us;
    for (int i = 0; i < vms; ++i) again_us.push_back(bench::time_us([&] { networks.lease("default", vm(i).id); }));
    std::vector<double> release_us;
    for (int i = 0; i < vms; ++i) release_us.push_back(bench::time_us([&] { networks.release(vm(i).id); }));

    auto line = [](const char* what, const std::vector<double>& us) {
      const auto s = bench::stats(us);
      fmt::print("{:<34} median {:8.1f} us  mean {:8.1f} us  p99 {:8.1f} us\n", what, s.median_us, s.mean_us,
                 s.p99_us);
    };
    fmt::print("IPAM on the on-disk store (WAL), {} VMs on one /24 (target: network preparation <= 5 ms/VM)\n", vms);
    fmt::print("{:<34} {:8.1f} us\n", "lease, 1st VM", lease_us.front());
    fmt::print("{:<34} {:8.1f} us\n", "lease, 100th VM", lease_us.back());
    line("lease, all 100", lease_us);
    line("lease again (held address)", again_us);
    line("release", release_us);
    // The lease is one part of the network preparation (bench-network's figure).
    bench::figure("ipam.lease", bench::stats(lease_us).median_us / 1000, "ms", "<=", 5,
                  fmt::format("IPAM lease on the on-disk store, {} VMs (median)", vms));
  }
  fs::remove_all(dir);
  return 0;
}
