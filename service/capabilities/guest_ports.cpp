#include "capabilities/guest_ports.h"

#include "core/log.h"

namespace banger {

void GuestPorts::post_start(const VmRecord& vm) {
  if (auto attachment = attachments_.attachment_of(vm)) poller_.watch(vm.id, attachment->address);
}

// A suspended guest comes back listening where it did: its list stays, and with it
// the automatic forwards that follow it (PortForwards keeps them for the same reason).
void GuestPorts::cleanup(const VmRecord& vm, CleanupReason reason) noexcept {
  poller_.unwatch(vm.id, reason == CleanupReason::suspended);
}

// A paused guest answers no SSH: the poller would only wait out its timeouts.
// The ports it listed stay (and the automatic forwards that follow them): the guest still listens.
void GuestPorts::before_pause(const VmRecord& vm) noexcept { poller_.unwatch(vm.id, true); }

void GuestPorts::after_resume(const VmRecord& vm) noexcept {
  try {
    post_start(vm);
  } catch (const std::exception& e) {
    log::warn("VM '{}': its ports are not polled after the resume: {}", vm.name, e.what());
  }
}

void GuestPorts::watch_running(const std::vector<VmRecord>& vms) {
  for (const auto& vm : vms) {
    if (vm.state != VmState::running) continue;
    try {
      post_start(vm);
    } catch (const std::exception& e) {
      log::warn("VM '{}': its ports are not polled: {}", vm.name, e.what());
    }
  }
}

}  // namespace banger
