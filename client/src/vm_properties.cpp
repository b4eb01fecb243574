#include "client_impl.h"
#include "properties.h"

namespace banger::client {

using detail::take;

VmInfo vm_from_properties(const std::string& path, const std::map<std::string, sdbus::Variant>& props) {
  VmInfo vm;
  vm.path = path;
  take(props, "Id", vm.id);
  take(props, "Name", vm.name);
  take(props, "OwnerUID", vm.owner_uid);
  take(props, "State", vm.state);
  take(props, "VCPUs", vm.vcpus);
  take(props, "MemoryMiB", vm.memory_mib);
  take(props, "Image", vm.image);
  take(props, "Backend", vm.backend);
  take(props, "LastError", vm.last_error);
  take(props, "CreatedAt", vm.created_at_us);
  take(props, "UpdatedAt", vm.updated_at_us);
  take(props, "Network", vm.network);
  take(props, "IPv4Address", vm.ipv4_address);
  take(props, "MACAddress", vm.mac_address);
  take(props, "TapDevice", vm.tap_device);
  take(props, "DNSName", vm.dns_name);
  take(props, "DiskMiB", vm.disk_mib);
  take(props, "RootDiskStrategy", vm.root_disk_strategy);
  take(props, "WorkDiskMiB", vm.work_disk_mib);
  take(props, "KeepWorkDisk", vm.keep_work_disk);
  vm.forwards = forwards_from_property(props);
  take(props, "ForwardPorts", vm.forward_ports);
  take(props, "Autostart", vm.autostart);
  return vm;
}

}  // namespace banger::client
