#pragma once
#include <functional>
#include <set>
#include <string>

#include "core/capability.h"
#include "core/host_tap_guards.h"
#include "core/host_taps.h"
#include "core/vm_attachment.h"

namespace banger {

// A running VM's link to its network: a persistent tap named after the VM id
// on the network's bridge (made at start, deleted when the VM stops), the
// guest NIC with the VM's stable MAC, and the guest's address, gateway and
// DNS server (the bridge's gateway, where the network's dnsmasq listens).
// Each tap is guarded (HostTapGuards) from right after it is made: the guest
// sends only as its own MAC and address, and on the shared default network it
// reaches the host but not the other guests.
class TapDevice final : public Capability {
 public:
  // owner: the uid the VM's VMM runs as (its jailer uid), who must open the tap.
  using OwnerOf = std::function<uid_t(const VmRecord& vm)>;
  // (A literal 0 would convert to an empty OwnerOf: that means root too.)
  // guards: null only where no host filter exists (tests of other parts).
  TapDevice(VmAttachments& attachments, HostTaps& taps, OwnerOf owner, HostTapGuards* guards = nullptr)
      : attachments_(attachments),
        taps_(taps),
        owner_(owner ? std::move(owner) : [](const VmRecord&) -> uid_t { return 0; }),
        guards_(guards) {}

  std::string_view name() const override { return "tap"; }
  void prepare_host(const VmRecord& vm) override;
  void contribute_guest(const VmRecord& vm, GuestConfig& guest) override;
  void contribute_machine(const VmRecord& vm, MachineConfig& machine) override;
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override;

  // Recovery: deletes every banger tap whose name is not in `keep` (the taps
  // of VMs whose VMM still runs). Returns how many went. Never throws.
  int remove_strays(const std::set<std::string>& keep) noexcept;
  // Recovery: the guards of exactly these VMs' taps (those whose VMM still
  // runs), whatever the table held before. Never throws (logs).
  void guard_only(const std::vector<VmRecord>& running) noexcept;

 private:
  VmAttachments& attachments_;
  HostTaps& taps_;
  OwnerOf owner_;
  HostTapGuards* guards_;
};

}  // namespace banger
