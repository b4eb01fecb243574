#pragma once
#include "capabilities/authorized_keys_guest.h"
#include "core/guest_clock.h"
#include "core/vm_attachment.h"

namespace banger {

// Sets a guest's clock over bangerd's SSH access (GuestShell): `date -s
// @<epoch>`, which busybox's date and coreutils' both take. To the second,
// plus the time the session takes to open. VMs without a network cannot be reached.
class SshGuestClock final : public GuestClock {
 public:
  SshGuestClock(VmAttachments& attachments, GuestShell& shell) : attachments_(attachments), shell_(shell) {}
  void set(const VmRecord& vm, std::chrono::system_clock::time_point now) override;

 private:
  VmAttachments& attachments_;
  GuestShell& shell_;
};

// The script that sets the clock to `now`.
std::string set_clock_script(std::chrono::system_clock::time_point now);

}  // namespace banger
