// The order of bangerd's capabilities, as data: each place names what fixes it.
#include "daemon/capability_order.h"

#include "daemon/capability_set.h"

namespace banger {

namespace {

using Picked = std::vector<std::shared_ptr<Capability>>;

// The capabilities a member of the set holds: a pointer's one (none when null) or a list's.
template <auto member>
Picked at(const CapabilitySet& set) {
  const auto& held = set.*member;
  if constexpr (requires { held.begin(); }) {
    return Picked(held.begin(), held.end());
  } else {
    return held ? Picked{held} : Picked{};
  }
}

using C = CapabilitySet;

constexpr CapabilityPlace order[] = {
    {"vm-directories", at<&C::directories>,
     "first: the VM's state and runtime directories, where the others keep what they make"},
    {"console-relay", at<&C::console_relay>,
     "right after the runtime directory exists and before anything that waits for the guest "
     "(its output must reach the log); ended before the runtime directory is cleaned"},
    {"image-files", at<&C::image_files>,
     "the root disk, the guest's first drive, and the kernel each backend boots from the image"},
    {"vmm-uids", at<&C::vmm_uids>,
     "the uid a jailed Firecracker or a QEMU VM runs as, claimed at create and given back at delete; "
     "not forced among the create-time places"},
    {"work-disk", at<&C::work_disk>,
     "after the root disk, so the work disk is the guest's second drive (/dev/vdb); before nothing it "
     "depends on: its cleanup moves a kept disk out of the VM's directory"},
    {"network-address", at<&C::network_address>,
     "the VM's address, leased before the tap, NAT, DNS names and forwards, which use it"},
    {"tap-device", at<&C::taps>, "the VM's link to its network, before what reaches the guest through it"},
    {"nat-access", at<&C::nat>, "the way out through the network's NAT; not forced among the network's places"},
    {"dns-names", at<&C::dns>, "the VM's name on its network, for the address leased above"},
    {"port-forwards", at<&C::forwards>, "host ports forwarded to the address leased above"},
    {"ssh-access", at<&C::ssh_access>,
     "last of the network's: Start waits for SSH once everything else is in place"},
    {"guest-ports", at<&C::guest_ports>, "after the SSH wait: polling starts once the guest answers"},
    {"authorized-keys", at<&C::authorized_keys>,
     "after ssh-access: its post_start waits until the guest takes bangerd's key"},
    {"machine-registration", at<&C::machines>,
     "after every other post_start: a VM is registered once it runs for good"},
    {"logind-check", at<&C::logind_check>, "Doctor's line about logind: after the VMs' capabilities, in Doctor's order"},
    {"host-checks", at<&C::host_checks>, "Doctor's host-level lines: after logind's, in Doctor's order"},
    {"extensions", at<&C::extensions>, "the build's own (the tests' fault injection), after every built-in one"},
};

}  // namespace

std::span<const CapabilityPlace> capability_order() { return order; }

std::vector<std::shared_ptr<Capability>> in_capability_order(const CapabilitySet& set) {
  Picked all;
  for (const auto& place : order)
    for (auto& capability : place.of(set)) all.push_back(std::move(capability));
  return all;
}

}  // namespace banger
