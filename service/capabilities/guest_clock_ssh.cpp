#include "capabilities/guest_clock_ssh.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

std::string set_clock_script(std::chrono::system_clock::time_point now) {
  // Rounded: the session takes a fraction of a second to run it anyway.
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return fmt::format("date -s @{} >/dev/null", (ms + 500) / 1000);
}

void SshGuestClock::set(const VmRecord& vm, std::chrono::system_clock::time_point now) {
  auto attachment = attachments_.attachment_of(vm);
  if (!attachment) throw Error(ErrorKind::invalid_state, fmt::format("VM '{}' has no network to reach it", vm.name));
  shell_.run(vm, attachment->address, set_clock_script(now));
}

}  // namespace banger
