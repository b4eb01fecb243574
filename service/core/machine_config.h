#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace banger {

struct DriveConfig {
  std::string id;  // "rootfs", "work", …
  std::filesystem::path path;
  bool is_root = false;
  bool read_only = false;
};

struct NetworkInterfaceConfig {
  std::string id;  // "eth0"
  std::string tap;
  std::string mac;
};

// What a VMM backend needs to boot a VM; capabilities contribute to it.
struct MachineConfig {
  std::string vm_id;
  std::string vm_name;
  std::uint32_t vcpus = 1;
  std::uint32_t memory_mib = 512;
  std::filesystem::path runtime_dir;  // <runtime>/vms/<id>: sockets, logs, pid files
  std::filesystem::path kernel;
  std::filesystem::path initrd;
  std::vector<std::string> kernel_args;
  std::vector<DriveConfig> drives;
  std::vector<NetworkInterfaceConfig> interfaces;
  // The guest's serial console: a pty slave the console relay serves, made the
  // VMM's stdin/stdout. Empty: the VMM writes the console to console.log itself.
  std::filesystem::path serial_tty;
  // Start of a suspended VM (issue 19): the directory VmmBackend::save_state
  // filled; the VMM loads that state instead of booting. launch() starts the
  // VMM ready to load it, configure() loads it (SavedStateRefused when the VMM
  // refuses that state: the caller drops it), start() lets the vCPUs run.
  // The rest of the config is the one the state was saved with (same drives,
  // taps and MACs). Empty: a cold boot.
  std::filesystem::path restore_from;
};

// What the guest learns about itself (hostname, address, keys …), delivered by
// the backend on the kernel command line or in the image's config.
struct GuestConfig {
  std::map<std::string, std::string> values;
};

struct DoctorCheck {
  std::string check;
  std::string status;  // ok | warn | fail
  std::string summary;
  std::string detail;
  std::string fix;
};

}  // namespace banger
