#pragma once
#include <vector>

#include "core/capability.h"
#include "core/vm_attachment.h"
#include "ports/guest_port_poller.h"

namespace banger {

// Polling a VM's listening ports while it runs: from the end of its start
// (after the SSH wait, so the guest answers) until it stops, fails or is
// deleted, except while it is paused. VMs without a network address are never polled.
class GuestPorts final : public Capability {
 public:
  GuestPorts(VmAttachments& attachments, GuestPortPoller& poller) : attachments_(attachments), poller_(poller) {}

  std::string_view name() const override { return "guest-ports"; }
  void post_start(const VmRecord& vm) override;
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;
  void before_pause(const VmRecord& vm) noexcept override;
  void after_resume(const VmRecord& vm) noexcept override;
  void apply_config_change(const VmRecord& before, const VmRecord& after) override;
  // At daemon start-up: polls the running VMs that were adopted.
  void watch_running(const std::vector<VmRecord>& vms);

 private:
  VmAttachments& attachments_;
  GuestPortPoller& poller_;
};

}  // namespace banger
