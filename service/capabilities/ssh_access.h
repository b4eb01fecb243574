#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "capabilities/guest_host_keys.h"
#include "capabilities/ssh_key_pair.h"
#include "core/capability.h"
#include "core/vm_attachment.h"

namespace banger {

struct SshAccessSettings {
  // How long Start waits for the guest's SSH server ([network] ssh_timeout).
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::uint16_t port = 22;  // tests point it at their own server
  // Once the server answers, log in as root with the daemon's key, so a guest
  // that did not take the key fails its start instead of failing its user later.
  bool verify_login = true;
};

// SSH into every VM on a network with the daemon's key: the guest gets the
// public key (guest value ssh_key, base64 of the authorized_keys line, which
// the default image's init writes to /root/.ssh/authorized_keys), and Start
// returns only once the guest's SSH server answers at <address>:22 and takes
// the key. When it does not within the timeout, the start fails, the
// console's last lines go to bangerd's log, and the error points at
// `bangerctl logs` (ReadConsole), so the user sees why. VMs without a network get
// neither key nor wait.
class SshAccess : public Capability {
 public:
  // The end of a VM's console log (any length; the last lines are used).
  using ConsoleTail = std::function<std::string(const std::string& vm_id)>;
  // Whether the VM's VMM still runs; when it stops (a guest that panics, a
  // VMM that dies), the wait ends at once instead of at the timeout. Unset:
  // wait for the timeout.
  using VmmRunning = std::function<bool(const std::string& vm_id)>;

  // `host_keys`: the guest must present its pinned host key (or gets it pinned
  // at this first contact); one that does not fails the start at once.
  SshAccess(VmAttachments& attachments, SshKeyPair key, GuestHostKeys host_keys, ConsoleTail console_tail,
            SshAccessSettings settings = {}, VmmRunning vmm_running = {});

  std::string_view name() const override { return "ssh-access"; }
  void contribute_guest(const VmRecord& vm, GuestConfig& guest) override;
  void post_start(const VmRecord& vm) override;
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override;

 private:
  void log_in(const VmRecord& vm, const std::string& address, std::chrono::steady_clock::time_point deadline);
  // Logs the console's last lines (made printable) and returns where the user finds
  // them, never the guest's text itself.
  std::string console_excerpt(const VmRecord& vm) const;

  VmAttachments& attachments_;
  SshKeyPair key_;
  GuestHostKeys host_keys_;
  ConsoleTail console_tail_;
  SshAccessSettings settings_;
  VmmRunning vmm_running_;
};

}  // namespace banger
