#pragma once
// dev.banger.banger1.VM's properties: one line each, in the XML's order.
// Adding a property: its XML line, its field (VmRecord, or one of VmView's
// parts), and its line here.

#include <string>
#include <vector>

#include "bus/property_table.h"
#include "bus/vm_network_properties.h"
#include "core/authorized_key_events.h"
#include "core/guest_ports.h"
#include "core/port_forward.h"
#include "core/vm.h"
#include "dev.banger.banger1.VM_properties.h"
#include "core/vm_stats.h"

namespace banger {

// What a VM object shows: its record and what the host learnt about it since.
struct VmView {
  const VmRecord& vm;
  const VmNetworkProperties& network;
  const std::vector<AuthorizedKeyInfo>& keys;
  stats::VmStats stats;  // a copy: a Get counts Uptime on to now (VmObject::current_stats)
  const std::vector<GuestPort>& ports;
  const std::vector<PortForward>& forwards;
};

namespace properties::VM {

inline constexpr auto table = property_table<VmView>(
    line<Id>([](const VmView& v) -> auto& { return v.vm.id; }),
    line<Name>([](const VmView& v) -> auto& { return v.vm.name; }),
    line<OwnerUID>([](const VmView& v) { return v.vm.owner_uid; }),
    line<State>([](const VmView& v) { return to_string(v.vm.state); }),
    line<VCPUs>([](const VmView& v) { return v.vm.vcpus; }),
    line<MemoryMiB>([](const VmView& v) { return v.vm.memory_mib; }),
    line<Image>([](const VmView& v) -> auto& { return v.vm.image; }),
    line<Backend>([](const VmView& v) -> auto& { return v.vm.backend; }),
    line<LastError>([](const VmView& v) -> auto& { return v.vm.last_error; }),
    line<CreatedAt>([](const VmView& v) { return v.vm.created_at_us; }),
    line<UpdatedAt>([](const VmView& v) { return v.vm.updated_at_us; }),
    line<Network>([](const VmView& v) -> auto& { return v.network.network; }),
    line<IPv4Address>([](const VmView& v) -> auto& { return v.network.ipv4_address; }),
    line<MACAddress>([](const VmView& v) -> auto& { return v.network.mac_address; }),
    line<TapDevice>([](const VmView& v) -> auto& { return v.network.tap_device; }),
    line<DNSName>([](const VmView& v) -> auto& { return v.network.dns_name; }),
    line<DiskMiB>([](const VmView& v) { return v.vm.disk_mib; }),
    line<RootDiskStrategy>([](const VmView& v) -> auto& { return v.vm.root_disk_strategy; }),
    line<WorkDiskMiB>([](const VmView& v) { return v.vm.work_disk_mib; }),
    line<KeepWorkDisk>([](const VmView& v) { return v.vm.keep_work_disk; }),
    line<AuthorizedKeys>([](const VmView& v) {
      AuthorizedKeys::type out;
      for (const auto& key : v.keys) out.emplace_back(key.fingerprint, key.comment);
      return out;
    }),
    line<CPUPercent>([](const VmView& v) { return v.stats.cpu_percent; }),
    line<MemoryRSSBytes>([](const VmView& v) { return v.stats.memory_rss_bytes; }),
    line<BlockReadBytes>([](const VmView& v) { return v.stats.block_read_bytes; }),
    line<BlockWriteBytes>([](const VmView& v) { return v.stats.block_write_bytes; }),
    line<NetRxBytes>([](const VmView& v) { return v.stats.net_rx_bytes; }),
    line<NetTxBytes>([](const VmView& v) { return v.stats.net_tx_bytes; }),
    line<Uptime>([](const VmView& v) { return v.stats.uptime_s; }),
    line<Ports>([](const VmView& v) {
      Ports::type out;
      for (const auto& p : v.ports) out.emplace_back(p.protocol, p.port, p.process);
      return out;
    }),
    line<Forwards>([](const VmView& v) {
      Forwards::type out;
      for (const auto& f : v.forwards) out.emplace_back(f.protocol, f.host_port, f.guest_port);
      return out;
    }),
    line<ForwardPorts>([](const VmView& v) { return v.vm.forward_ports; }),
    line<Autostart>([](const VmView& v) { return v.vm.autostart; }),
    line<IdleSuspendSeconds>([](const VmView& v) { return v.vm.idle_suspend_s; }));

static_assert(covers_exactly<decltype(table), All>, "one line per property of the VM XML, in its order");

}  // namespace properties::VM
}  // namespace banger
