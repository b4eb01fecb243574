#include "host/machined_bus.h"

#include <net/if.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "core/errors.h"
#include "host/service_peer_bus.h"
#include "net/taps.h"
#include "stats/cgroup_counters.h"

namespace banger::host {

namespace {

constexpr const char* machine1_name = "org.freedesktop.machine1";
constexpr const char* machine1_path = "/org/freedesktop/machine1";
constexpr const char* machine1_manager = "org.freedesktop.machine1.Manager";
constexpr const char* who = "systemd-machined";

// machined's machine id: the VM's id when it is 32 hex digits (a 128-bit id
// as bangerd makes them), else none (machined accepts an empty one).
std::vector<std::uint8_t> machine_id(const std::string& vm_id) {
  std::vector<std::uint8_t> bytes;
  if (vm_id.size() != 32) return bytes;
  for (std::size_t i = 0; i < 32; i += 2) {
    unsigned value = 0;
    if (std::sscanf(vm_id.c_str() + i, "%2x", &value) != 1) return {};
    bytes.push_back(static_cast<std::uint8_t>(value));
  }
  return bytes;
}

// What a VMM may open, as data/bangerd.service allows bangerd (DevicePolicy=closed
// still lets the standard pseudo devices through).
std::vector<sdbus::Struct<std::string, std::string>> vmm_devices() {
  std::vector<sdbus::Struct<std::string, std::string>> devices;
  for (const char* device : {"/dev/kvm", "/dev/net/tun", "block-loop", "block-device-mapper", "char-pts"})
    devices.emplace_back(std::string(device), std::string("rw"));
  return devices;
}

std::unique_ptr<sdbus::IProxy> manager_on(sdbus::IConnection& bus) {
  if (auto why = not_served(bus, machine1_name, who)) throw Error(ErrorKind::backend_failed, *why);
  return sdbus::createProxy(bus, machine1_name, machine1_path);
}

}  // namespace

std::vector<int> tap_ifindices(const VmRecord& vm) {
  std::vector<int> ifindices;
  if (vm.network.empty()) return ifindices;
  if (unsigned index = if_nametoindex(net::tap_name_for(vm.id).c_str()); index != 0)
    ifindices.push_back(static_cast<int>(index));
  return ifindices;
}

bool in_cgroup_of_its_own(pid_t pid) {
  auto cgroup_of = [](const std::string& process) {
    std::ifstream in("/proc/" + process + "/cgroup");
    return stats::unified_cgroup_path(std::string(std::istreambuf_iterator<char>(in), {}));
  };
  const auto cgroup = cgroup_of(std::to_string(pid));
  return !cgroup.empty() && cgroup != "/" && cgroup != cgroup_of("self");
}

std::string MachinedBus::unavailable() { return host::unavailable(machine1_name, who); }

void MachinedBus::register_machine(const MachineEntry& machine) {
  try {
    auto bus = system_bus();
    auto manager = manager_on(*bus);
    const std::vector<std::int32_t> ifindices(machine.ifindices.begin(), machine.ifindices.end());
    const std::vector<sdbus::Struct<std::string, sdbus::Variant>> scope_properties{
        {std::string("Description"), sdbus::Variant(fmt::format("banger VM {}", machine.name))},
        // Out of bangerd.service's cgroup, the VMM would leave its device policy behind: the same one here.
        {std::string("DevicePolicy"), sdbus::Variant(std::string("closed"))},
        {std::string("DeviceAllow"), sdbus::Variant(vmm_devices())}};
    sdbus::ObjectPath path;
    if (machine.in_own_cgroup)
      manager->callMethod("RegisterMachineWithNetwork")
          .onInterface(machine1_manager)
          .withTimeout(peer_call_timeout)
          .withArguments(machine.name, machine_id(machine.vm_id), std::string("banger"), std::string("vm"),
                         static_cast<std::uint32_t>(machine.leader), std::string(), ifindices)
          .storeResultsTo(path);
    else
      manager->callMethod("CreateMachineWithNetwork")
          .onInterface(machine1_manager)
          .withTimeout(peer_call_timeout)
          .withArguments(machine.name, machine_id(machine.vm_id), std::string("banger"), std::string("vm"),
                         static_cast<std::uint32_t>(machine.leader), std::string(), ifindices, scope_properties)
          .storeResultsTo(path);
  } catch (const sdbus::Error& e) {
    // After a bangerd restart the adopted VMs are still there: nothing to do.
    if (e.getName() == "org.freedesktop.machine1.MachineExists") return;
    throw Error(ErrorKind::backend_failed, fmt::format("{} ({})", e.getMessage(), e.getName()));
  }
}

void MachinedBus::unregister_machine(const std::string& name) {
  try {
    auto bus = system_bus();
    manager_on(*bus)->callMethod("UnregisterMachine")
        .onInterface(machine1_manager)
        .withTimeout(peer_call_timeout)
        .withArguments(name);
  } catch (const sdbus::Error& e) {
    // Gone with its VMM already (machined drops a machine whose scope emptied).
    if (e.getName() == "org.freedesktop.machine1.NoSuchMachine") return;
    throw Error(ErrorKind::backend_failed, fmt::format("{} ({})", e.getMessage(), e.getName()));
  }
}

}  // namespace banger::host
