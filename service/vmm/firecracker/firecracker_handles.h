#pragma once
// The Firecracker backend's own pieces shared by its two files:
// firecracker_backend.cpp (launch, configure, the lifecycle) and
// firecracker_snapshot.cpp (suspend to disk: the format, save_state, the load).
#include <chrono>
#include <filesystem>
#include <string>

#include "core/machine_config.h"
#include "vmm/firecracker/api_client.h"
#include "vmm/firecracker/firecracker_backend.h"
#include "vmm/process.h"

namespace banger::firecracker_detail {

// What launch() recorded, read back from the handles.
struct Handles {
  ProcessId process;
  std::filesystem::path api_socket;
  std::filesystem::path runtime_dir;
  std::filesystem::path binary;  // firecracker
  std::filesystem::path jailer;  // empty when launched directly
  std::filesystem::path jail;    // the jailer's chroot of this VM; empty when launched directly
  std::string vm_id;  // an unjailed VMM run as its VM's uid: its --id; else empty
  bool restore = false;  // launched to load a saved state: start() resumes it
};

// Error(backend_failed) for handles that are not launch()'s.
Handles parse(const std::string& text);

// configure() of a VMM launched with MachineConfig::restore_from: PUT
// /snapshot/load, the saved files put in its reach first. SavedStateRefused
// when the files are gone or the VMM refuses them (firecracker_snapshot.cpp).
void load_saved_state(const FirecrackerApiClient& api, const Handles& h, const MachineConfig& machine,
                      std::chrono::milliseconds timeout, DirtyPageTracking tracking);

}  // namespace banger::firecracker_detail
