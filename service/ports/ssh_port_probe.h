#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "capabilities/ssh_key_pair.h"
#include "capabilities/ssh_login.h"
#include "ports/guest_port_poller.h"

namespace banger {

struct SshPortProbeSettings {
  std::uint16_t port = 22;
  // Bounds the login and each wait for the guest's output, so a guest that
  // went silent costs one round, not a stuck thread.
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

// Lists a guest's ports with guest_port_listing_command over one SSH session
// as root with the daemon's key, kept open between calls (a login costs about
// 150 ms of a TCG guest's CPU) and dropped after any failure, so the next call
// logs in anew.
class SshPortProbe final : public GuestPortProbe {
 public:
  // `host`: the host key the guest must present at each login.
  SshPortProbe(std::string address, SshKeyPair key, SshHostKeyCheck host, SshPortProbeSettings settings = {});
  std::vector<GuestPort> list_ports() override;

 private:
  std::string address_;
  SshKeyPair key_;
  SshHostKeyCheck host_;
  SshPortProbeSettings settings_;
  SshSession session_;
};

}  // namespace banger
