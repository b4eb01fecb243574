#include "client_impl.h"
#include "properties.h"
#include "dev.banger.banger1.VM_properties.h"

namespace banger::client {

using detail::take;
namespace VM = properties::VM;

VmInfo vm_from_properties(const std::string& path, const std::map<std::string, sdbus::Variant>& props) {
  VmInfo vm;
  vm.path = path;
  take<VM::Id>(props, vm.id);
  take<VM::Name>(props, vm.name);
  take<VM::OwnerUID>(props, vm.owner_uid);
  take<VM::State>(props, vm.state);
  take<VM::VCPUs>(props, vm.vcpus);
  take<VM::MemoryMiB>(props, vm.memory_mib);
  take<VM::Image>(props, vm.image);
  take<VM::Backend>(props, vm.backend);
  take<VM::LastError>(props, vm.last_error);
  take<VM::CreatedAt>(props, vm.created_at_us);
  take<VM::UpdatedAt>(props, vm.updated_at_us);
  take<VM::Network>(props, vm.network);
  take<VM::IPv4Address>(props, vm.ipv4_address);
  take<VM::MACAddress>(props, vm.mac_address);
  take<VM::TapDevice>(props, vm.tap_device);
  take<VM::DNSName>(props, vm.dns_name);
  take<VM::DiskMiB>(props, vm.disk_mib);
  take<VM::RootDiskStrategy>(props, vm.root_disk_strategy);
  take<VM::WorkDiskMiB>(props, vm.work_disk_mib);
  take<VM::KeepWorkDisk>(props, vm.keep_work_disk);
  vm.forwards = forwards_from_property(props);
  take<VM::ForwardPorts>(props, vm.forward_ports);
  take<VM::Autostart>(props, vm.autostart);
  take<VM::IdleSuspendSeconds>(props, vm.idle_suspend_s);
  return vm;
}

}  // namespace banger::client
