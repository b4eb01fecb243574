#include "capabilities/ssh_login.h"

#include <libssh/libssh.h>

#include <algorithm>
#include <memory>

#include <fmt/format.h>

namespace banger {

namespace {

bool configure(ssh_session s, const std::string& address, std::uint16_t port, const std::string& user,
               std::chrono::milliseconds timeout) {
  unsigned int port_value = port;
  long seconds = static_cast<long>(timeout.count() / 1000);
  long microseconds = static_cast<long>(timeout.count() % 1000 * 1000);
  bool process_config = false;
  return ssh_options_set(s, SSH_OPTIONS_HOST, address.c_str()) == 0 &&
         ssh_options_set(s, SSH_OPTIONS_PORT, &port_value) == 0 &&
         ssh_options_set(s, SSH_OPTIONS_USER, user.c_str()) == 0 &&
         ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &seconds) == 0 &&
         ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &microseconds) == 0 &&
         ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config) == 0 &&
         // libssh orders host key algorithms by what known_hosts holds: read none.
         ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") == 0 &&
         ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") == 0;
}

}  // namespace

void SshSessionDeleter::operator()(ssh_session_struct* s) const noexcept {
  if (ssh_is_connected(s)) ssh_disconnect(s);
  ssh_free(s);
}

SshSession open_ssh_session(const std::string& address, std::uint16_t port, const std::string& user,
                            const SshKeyPair& key, std::chrono::milliseconds timeout, SshLogin& login,
                            const std::string& ciphers) {
  SshSession session(ssh_new());
  if (!session) {
    login = {SshLoginOutcome::failed, "libssh cannot make a session"};
    return nullptr;
  }
  const bool ciphers_taken = ciphers.empty() ||
                             (ssh_options_set(session.get(), SSH_OPTIONS_CIPHERS_C_S, ciphers.c_str()) == 0 &&
                              ssh_options_set(session.get(), SSH_OPTIONS_CIPHERS_S_C, ciphers.c_str()) == 0);
  if (!ciphers_taken || !configure(session.get(), address, port, user, std::max(timeout, std::chrono::milliseconds(1)))) {
    login = {SshLoginOutcome::failed, fmt::format("libssh rejects the options: {}", ssh_get_error(session.get()))};
    return nullptr;
  }
  if (ssh_connect(session.get()) != SSH_OK) {
    login = {SshLoginOutcome::failed, ssh_get_error(session.get())};
    return nullptr;
  }
  switch (ssh_userauth_publickey(session.get(), nullptr, key.key())) {
    case SSH_AUTH_SUCCESS:
      login = {SshLoginOutcome::accepted, ""};
      return session;
    case SSH_AUTH_DENIED:
      login = {SshLoginOutcome::denied, fmt::format("{} does not accept the key for {}", address, user)};
      return nullptr;
    case SSH_AUTH_PARTIAL:
      login = {SshLoginOutcome::denied, fmt::format("{} wants more than the key for {}", address, user)};
      return nullptr;
    default:
      login = {SshLoginOutcome::failed, ssh_get_error(session.get())};
      return nullptr;
  }
}

SshLogin try_ssh_login(const std::string& address, std::uint16_t port, const std::string& user,
                       const SshKeyPair& key, std::chrono::milliseconds timeout) {
  SshLogin login;
  open_ssh_session(address, port, user, key, timeout, login);
  return login;
}

}  // namespace banger
