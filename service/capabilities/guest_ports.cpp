#include "capabilities/guest_ports.h"

#include "core/log.h"

namespace banger {

// A VM with idle sleep (issue 19) is not polled: each poll is an SSH exec into the guest every
// interval, tap traffic and guest CPU that would keep it from ever being idle. Its Ports stay
// as they were (empty after a cold start), and forward_ports has nothing to follow.
void GuestPorts::post_start(const VmRecord& vm) {
  if (vm.idle_suspend_s > 0) return;
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

void GuestPorts::apply_config_change(const VmRecord& before, const VmRecord& after) {
  if (after.state != VmState::running || (before.idle_suspend_s > 0) == (after.idle_suspend_s > 0)) return;
  if (after.idle_suspend_s > 0)
    poller_.unwatch(after.id, true);  // the list it had stays
  else
    post_start(after);
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
