// Prints banger's bus figures against the targets of issue 2:
//   VM property Get round trip vs the bus daemon's own GetId   (≤ 1.5×)
//   GetManagedObjects and ListVMs with 1,000 VMs               (≤ 10 ms each)
//   CreateVM round trip: record + exported object              (≤ 5 ms)
// It brings up a private bus and bangerd-test (stand-in backend, polkit off:
// the bench runs as root, whom bangerd allows without asking polkit).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

#include "bench_support.h"

namespace fs = std::filesystem;
using namespace banger::bench;

namespace {

// CPU time (µs) `pid` spends per call of `call`, measured over `count` calls.
template <typename F>
double cpu_us_per_call(pid_t pid, int count, F call) {
  double before = cpu_ns(pid);
  for (int i = 0; i < count; ++i) call();
  return (cpu_ns(pid) - before) / 1000.0 / count;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bangerd = BANGERD_TEST_PATH;
  fs::path source_root = BANGER_SOURCE_ROOT;
  int vm_count = banger::bench::count(1000, 20);
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string opt = argv[i];
    if (opt == "--bangerd") bangerd = argv[i + 1];
    if (opt == "--vms") vm_count = std::stoi(argv[i + 1]);
  }

  // A default network with room for every VM: a /24 holds only 253 leases.
  Stack stack(bangerd, source_root,
              "[daemon]\npolkit = false\n[vmm]\nbackend = \"test\"\n[network]\ndefault_subnet = \"10.220.0.0/20\"\n");
  auto& dbus = stack.dbus();
  auto& manager = stack.manager();
  auto& conn = stack.connection();

  // CreateVM: the reply comes once the record is committed and the object exported.
  std::vector<double> create_us;
  sdbus::ObjectPath first_vm;
  for (int i = 0; i < vm_count; ++i) {
    sdbus::ObjectPath vm, op;
    // No work disk: 1,000 mkfs runs would measure e2fsprogs, not the bus.
    std::map<std::string, sdbus::Variant> options{{"memory", sdbus::Variant(std::uint32_t{128})},
                                                  {"work_disk", sdbus::Variant(std::uint32_t{0})}};
    create_us.push_back(time_us([&] {
      manager.callMethod("CreateVM")
          .onInterface("dev.banger.banger1.Manager")
          .withArguments(fmt::format("bench-{:04}", i), options)
          .storeResultsTo(vm, op);
    }));
    if (i == 0) first_vm = vm;
  }
  using Row = sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>;
  auto list = [&] {
    std::vector<Row> rows;
    manager.callMethod("ListVMs").onInterface("dev.banger.banger1.Manager").storeResultsTo(rows);
    return rows;
  };
  wait_until(
      [&] {
        auto rows = list();
        return std::all_of(rows.begin(), rows.end(), [](const Row& r) { return std::get<2>(r) == "created"; });
      },
      std::chrono::seconds(120), "provisioning of every VM");

  // Alternate the two calls so drift on a busy machine hits both alike.
  auto vm_proxy = sdbus::createProxy(conn, "dev.banger.banger1", first_vm);
  std::vector<double> getid_us, get_us;
  const int rounds = banger::bench::count(4000, 600);
  for (int round = 0; round < rounds; ++round) {
    double a = time_us([&] {
      std::string id;
      dbus.callMethod("GetId").onInterface("org.freedesktop.DBus").storeResultsTo(id);
    });
    double b = time_us([&] {
      sdbus::Variant v;
      vm_proxy->callMethod("Get")
          .onInterface("org.freedesktop.DBus.Properties")
          .withArguments(std::string("dev.banger.banger1.VM"), std::string("State"))
          .storeResultsTo(v);
    });
    if (round >= 500) {  // warm-up
      getid_us.push_back(a);
      get_us.push_back(b);
    }
  }

  std::vector<double> gmo_us, list_us;
  for (int i = 0; i < banger::bench::count(40, 5); ++i) {
    // Unparsed: the figure is the daemon's answer and its transfer, not this client's decoding.
    gmo_us.push_back(time_us([&] {
      auto call = manager.createMethodCall("org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
      auto reply = manager.callMethod(call);
      if (reply.isEmpty()) throw std::runtime_error("GetManagedObjects: empty reply");
    }));
    list_us.push_back(time_us([&] {
      if (const auto rows = list().size(); rows != static_cast<std::size_t>(vm_count))
        throw std::runtime_error(fmt::format("ListVMs short: {} of {} VMs", rows, vm_count));
    }));
  }

  // Where the time goes: CPU each process spends per call (the rest is wake-ups and the client).
  auto get_state = [&] {
    sdbus::Variant v;
    vm_proxy->callMethod("Get")
        .onInterface("org.freedesktop.DBus.Properties")
        .withArguments(std::string("dev.banger.banger1.VM"), std::string("State"))
        .storeResultsTo(v);
  };
  auto get_id = [&] {
    std::string id;
    dbus.callMethod("GetId").onInterface("org.freedesktop.DBus").storeResultsTo(id);
  };
  auto get_managed = [&] {
    auto call = manager.createMethodCall("org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
    manager.callMethod(call);
  };
  const int cpu_calls = banger::bench::count(2000, 50), cpu_gmo_calls = banger::bench::count(20, 2);
  double bangerd_per_get = cpu_us_per_call(stack.daemon_pid(), cpu_calls, get_state);
  double bus_per_get = cpu_us_per_call(stack.bus_pid(), cpu_calls, get_state);
  double bus_per_getid = cpu_us_per_call(stack.bus_pid(), cpu_calls, get_id);
  double bangerd_per_gmo = cpu_us_per_call(stack.daemon_pid(), cpu_gmo_calls, get_managed);
  double bus_per_gmo = cpu_us_per_call(stack.bus_pid(), cpu_gmo_calls, get_managed);

  auto id = stats(getid_us), get = stats(get_us), create = stats(create_us), gmo = stats(gmo_us), lst = stats(list_us);
  double ratio = get.median_us / id.median_us;
  std::cout << fmt::format("banger bench ({} VMs, {} cores)\n", vm_count, std::thread::hardware_concurrency());
  std::cout << fmt::format("  GetId round trip (bus daemon)   median {:8.1f} us  mean {:8.1f} us\n", id.median_us, id.mean_us);
  std::cout << fmt::format("  VM property Get round trip      median {:8.1f} us  mean {:8.1f} us\n", get.median_us, get.mean_us);
  std::cout << fmt::format("  Get / GetId                     {:.2f}x   target <= 1.5x   {}\n", ratio, verdict(ratio <= 1.5));
  std::cout << fmt::format("  GetManagedObjects               median {:8.2f} ms  p99 {:8.2f} ms  target <= 10 ms  {}\n",
                           gmo.median_us / 1000, gmo.p99_us / 1000, verdict(gmo.median_us <= 10000));
  std::cout << fmt::format("  ListVMs                         median {:8.2f} ms  p99 {:8.2f} ms  target <= 10 ms  {}\n",
                           lst.median_us / 1000, lst.p99_us / 1000, verdict(lst.median_us <= 10000));
  std::cout << fmt::format("  CreateVM (record + object)      median {:8.2f} ms  mean {:6.2f} ms  p99 {:6.2f} ms  target <= 5 ms  {}\n",
                           create.median_us / 1000, create.mean_us / 1000, create.p99_us / 1000,
                           verdict(create.mean_us <= 5000));
  std::cout << fmt::format("  bangerd RSS with {} VMs:       {}\n", vm_count, rss_of(stack.daemon_pid()));
  std::cout << fmt::format("  CPU per call: GetId: dbus-daemon {:.1f} us | property Get: bangerd {:.1f} us, dbus-daemon {:.1f} us\n",
                           bus_per_getid, bangerd_per_get, bus_per_get);
  std::cout << fmt::format("  CPU per GetManagedObjects: bangerd {:.2f} ms, dbus-daemon {:.2f} ms\n",
                           bangerd_per_gmo / 1000, bus_per_gmo / 1000);
  using banger::bench::figure;
  figure("bus.get_vs_getid", ratio, "x", "<=", 1.5, "VM property Get / bus GetId round trip");
  figure("bus.get_managed_objects", gmo.median_us / 1000, "ms", "<=", 10,
         fmt::format("GetManagedObjects, {} VMs (median)", vm_count));
  figure("bus.list_vms", lst.median_us / 1000, "ms", "<=", 10, fmt::format("ListVMs, {} VMs (median)", vm_count));
  figure("bus.create_vm", create.mean_us / 1000, "ms", "<=", 5, "CreateVM reply, record + object (mean)");
  return 0;
}
