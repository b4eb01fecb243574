#pragma once
// Names of banger's D-Bus contract, shared by bangerd and libbanger-client.

namespace banger::bus {

inline constexpr const char* service_name = "dev.banger.banger1";
inline constexpr const char* root_path = "/dev/banger/banger1";
inline constexpr const char* vm_path_prefix = "/dev/banger/banger1/vm";
inline constexpr const char* image_path_prefix = "/dev/banger/banger1/image";
inline constexpr const char* network_path_prefix = "/dev/banger/banger1/network";
inline constexpr const char* operation_path_prefix = "/dev/banger/banger1/operation";

inline constexpr const char* manager_interface = "dev.banger.banger1.Manager";
inline constexpr const char* vm_interface = "dev.banger.banger1.VM";
inline constexpr const char* operation_interface = "dev.banger.banger1.Operation";
inline constexpr const char* image_interface = "dev.banger.banger1.Image";
inline constexpr const char* network_interface = "dev.banger.banger1.Network";
inline constexpr const char* snapshot_interface = "dev.banger.banger1.Snapshot";

namespace action {
inline constexpr const char* create_vm = "dev.banger.banger1.create-vm";
inline constexpr const char* manage_own_vms = "dev.banger.banger1.manage-own-vms";
inline constexpr const char* manage_vms = "dev.banger.banger1.manage-vms";
inline constexpr const char* manage_images = "dev.banger.banger1.manage-images";
inline constexpr const char* manage_networks = "dev.banger.banger1.manage-networks";
inline constexpr const char* use_network = "dev.banger.banger1.use-network";
}  // namespace action

}  // namespace banger::bus
