#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace banger {

// paused: the VMM runs but its vCPUs are stopped (VM.Pause); the VM keeps
// everything a running one has (tap, lease, DNS name, forwards).
// suspended: no VMM; the guest's memory and device state are saved on disk
// (VM.Suspend, core/saved_states.h) and Start loads them. Its address, DNS
// name and forwards stay its own; its disks belong to that saved state, so
// nothing but a restore or a discarding Stop touches them.
enum class VmState { creating, created, starting, running, stopping, stopped, failed, paused, suspended };

// running or paused: a VMM that banger started holds the VM and its per-run
// host resources (tap, NAT, forwards, machined entry) stay in place.
bool holds_vmm_resources(VmState state);

std::string_view to_string(VmState state);
std::optional<VmState> parse_vm_state(std::string_view text);

// One VM as the store keeps it. `backend` names its VMM backend, fixed at
// create. `handles` is a column of earlier versions, which kept the VMM's
// handles there: recover() moves any it finds to the VM's runtime handles
// file (store/handles_files.h), where they live now, and clears it.
struct VmRecord {
  std::string id;
  std::string name;
  std::uint32_t owner_uid = 0;
  VmState state = VmState::creating;
  std::uint32_t vcpus = 1;
  std::uint32_t memory_mib = 512;
  std::string image;
  std::string last_error;
  std::uint64_t created_at_us = 0;
  std::uint64_t updated_at_us = 0;
  std::string backend;
  std::string handles;
  // The network the VM attaches to, chosen at create; empty for VMs made
  // before networks existed, which boot without a network interface.
  std::string network;
  // Disks (issue 5). disk_mib: the root disk's size, 0 = the image's rootfs
  // size; work_disk_mib: the work disk's size, 0 = none (VMs made before work
  // disks); root_disk_strategy: how the root disk was cloned from the image
  // (reflink | dm-snapshot | copy), set when it is made; keep_work_disk: a
  // delete leaves the work disk behind.
  std::uint64_t disk_mib = 0;
  std::uint64_t work_disk_mib = 0;
  std::string root_disk_strategy;
  bool keep_work_disk = false;
  // Forward every port the guest listens on (≥ 1024, free on the host) to
  // the same host port while it runs (capabilities/port_forwards.h).
  bool forward_ports = false;
  // Start the VM once after each host boot (core/autostart.h); a clone starts without it.
  bool autostart = false;
  // Suspend the VM after this many seconds without a session, tap traffic or
  // CPU use (core/idle_suspend.h); 0 = never. A clone keeps its source's.
  std::uint32_t idle_suspend_s = 0;

  bool operator==(const VmRecord&) const = default;
};

}  // namespace banger
