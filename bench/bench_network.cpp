// A VM's host-side network preparation (persistent tap + bridge attach + up,
// service/net/taps.h) at 1 and at 100 VMs on one bridge, inside a network
// namespace of its own (the host's interfaces are never touched). Target:
// <= 5 ms per VM, and flat: the 100th VM costs about what the first does.

#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_support.h"
#include "core/ids.h"
#include "net/links.h"
#include "net/taps.h"
#include "netns.h"

using namespace banger;
using banger::bench::stats;
using banger::bench::time_us;
using banger::bench::verdict;

namespace {

constexpr const char* bridge = "bgbench0";

// Prepares `count` VMs' taps one after another; each one's time in microseconds.
std::vector<double> prepare(int count) {
  std::vector<std::string> taps;
  std::vector<double> us;
  for (int i = 0; i < count; ++i) {
    taps.push_back(net::tap_name_for(new_vm_id()));
    us.push_back(time_us([&] { net::create_tap(taps.back(), 0, bridge); }));
  }
  for (auto& tap : taps) net::delete_tap(tap);
  return us;
}

}  // namespace

int main() {
  if (auto why = test::netns_unavailable({.devices = {"/dev/net/tun"}})) {
    std::cerr << "bench-network: " << *why << "\n";
    return 1;
  }
  test::ScopedNetns netns;
  double bridge_us = time_us([] { net::ensure_bridge(bridge, *net::parse_cidr("10.77.0.1/24")); });

  std::vector<double> one;  // a single VM on the bridge, 50 times over
  for (int round = 0; round < 50; ++round) one.push_back(prepare(1).front());
  std::vector<double> hundred;  // 100 VMs on the bridge, three times over
  std::vector<double> first10, last10;
  for (int round = 0; round < 3; ++round) {
    auto us = prepare(100);
    first10.insert(first10.end(), us.begin(), us.begin() + 10);
    last10.insert(last10.end(), us.end() - 10, us.end());
    hundred.insert(hundred.end(), us.begin(), us.end());
  }
  auto s1 = stats(one), s100 = stats(hundred), head = stats(first10), tail = stats(last10);
  double delete_us = time_us([] {
    auto tap = net::tap_name_for(new_vm_id());
    net::create_tap(tap, 0, bridge);
    net::delete_tap(tap);
  });
  bool flat = tail.median_us <= 2 * head.median_us + 500;

  std::cout << fmt::format("banger network bench ({} cores, in netns {})\n", std::thread::hardware_concurrency(),
                           netns.name());
  std::cout << fmt::format("  ensure_bridge (create + address + up)   {:8.2f} ms\n", bridge_us / 1000);
  std::cout << fmt::format("  tap + attach + up, 1 VM     median {:6.2f} ms  p99 {:6.2f} ms  target <= 5 ms  {}\n",
                           s1.median_us / 1000, s1.p99_us / 1000, verdict(s1.median_us <= 5000));
  std::cout << fmt::format("  tap + attach + up, 100 VMs  median {:6.2f} ms  p99 {:6.2f} ms  target <= 5 ms  {}\n",
                           s100.median_us / 1000, s100.p99_us / 1000, verdict(s100.median_us <= 5000));
  std::cout << fmt::format("  flat: VMs 1-10 median {:6.2f} ms, VMs 91-100 median {:6.2f} ms                 {}\n",
                           head.median_us / 1000, tail.median_us / 1000, verdict(flat));
  std::cout << fmt::format("  one tap created and deleted             {:8.2f} ms\n", delete_us / 1000);
  net::delete_link(bridge);
  return 0;
}
