#include "ports/ssh_port_probe.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "ports/guest_port_listing.h"
#include "workspace/guest_command.h"

namespace banger {

namespace {

constexpr std::size_t max_listing = 4 * 1024 * 1024;  // a guest with far more than that is not listed

std::string run_listing(ssh_session_struct* session) {
  workspace::GuestCommand command(session, guest_port_listing_command);
  std::string out;
  char buffer[16 * 1024];
  while (std::size_t got = command.read(buffer)) {
    out.append(buffer, got);
    if (out.size() > max_listing) throw Error(ErrorKind::backend_failed, "the guest's port listing is too long");
  }
  if (int status = command.finish(); status != 0)
    throw Error(ErrorKind::backend_failed,
                fmt::format("the port listing exited with status {}: {}", status, command.errors()));
  return out;
}

}  // namespace

SshPortProbe::SshPortProbe(std::string address, SshKeyPair key, SshHostKeyCheck host, SshPortProbeSettings settings)
    : address_(std::move(address)), key_(std::move(key)), host_(std::move(host)), settings_(settings) {}

std::vector<GuestPort> SshPortProbe::list_ports() {
  if (!session_) {
    SshLogin login;
    session_ = open_ssh_session(address_, settings_.port, "root", key_, host_, settings_.timeout, login);
    if (!session_) throw Error(ErrorKind::backend_failed, fmt::format("SSH to {}: {}", address_, login.detail));
  }
  try {
    return parse_guest_port_listing(run_listing(session_.get()));
  } catch (...) {
    session_.reset();
    throw;
  }
}

}  // namespace banger
