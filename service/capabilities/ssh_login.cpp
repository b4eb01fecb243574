#include "capabilities/ssh_login.h"

#include <libssh/libssh.h>

#include <algorithm>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "core/errors.h"
#include "capabilities/ssh_public_key.h"

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

// The host key algorithms that present a key of `type` (an OpenSSH key type).
std::string host_key_algorithms_for(const std::string& type) {
  if (type == "ssh-rsa") return "rsa-sha2-512,rsa-sha2-256,ssh-rsa";
  return type;
}

struct CharDeleter {
  void operator()(char* p) const { ssh_string_free_char(p); }
};

// The server's host key as a public key line; nullopt when libssh has none.
std::optional<SshPublicKey> presented_host_key(ssh_session s) {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(s, &raw) != SSH_OK || raw == nullptr) return std::nullopt;
  std::unique_ptr<ssh_key_struct, decltype(&ssh_key_free)> key(raw, ssh_key_free);
  char* base64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key.get(), &base64) != SSH_OK || base64 == nullptr) return std::nullopt;
  std::unique_ptr<char, CharDeleter> owned(base64);
  try {
    return parse_ssh_public_key(std::string(ssh_key_type_to_char(ssh_key_type(key.get()))) + " " + base64);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Why the server is not the guest `host` names, or nullopt when it is. The
// message holds fingerprints bangerd computed, never text the server sent.
std::optional<std::string> host_key_problem(ssh_session s, const std::string& address, const SshHostKeyCheck& host) {
  const auto presented = presented_host_key(s);
  if (!presented) return fmt::format("the SSH server at {} presented no host key libssh can read", address);
  std::string pinned = host.pinned;
  if (pinned.empty()) {
    if (!host.first_seen) return std::nullopt;
    try {
      pinned = host.first_seen(presented->type + " " + presented->blob);
    } catch (const std::exception& e) {
      return fmt::format("the SSH host key of VM '{}' cannot be pinned: {}", host.vm_name, e.what());
    }
  }
  SshPublicKey expected;
  try {
    expected = parse_ssh_public_key(pinned);
  } catch (const Error& e) {
    return fmt::format("the pinned SSH host key of VM '{}' is unreadable: {}", host.vm_name, e.what());
  }
  if (expected.type == presented->type && expected.blob == presented->blob) return std::nullopt;
  return fmt::format(
      "the SSH server at {} presented the host key {}, but VM '{}' has the host key {}: another machine may be "
      "answering at its address, so bangerd does not log in",
      address, presented->fingerprint, host.vm_name, expected.fingerprint);
}

}  // namespace

void SshSessionDeleter::operator()(ssh_session_struct* s) const noexcept {
  if (ssh_is_connected(s)) ssh_disconnect(s);
  ssh_free(s);
}

SshSession open_ssh_session(const std::string& address, std::uint16_t port, const std::string& user,
                            const SshKeyPair& key, const SshHostKeyCheck& host, std::chrono::milliseconds timeout,
                            SshLogin& login, const std::string& ciphers) {
  SshSession session(ssh_new());
  if (!session) {
    login = {SshLoginOutcome::failed, "libssh cannot make a session"};
    return nullptr;
  }
  const bool ciphers_taken = ciphers.empty() ||
                             (ssh_options_set(session.get(), SSH_OPTIONS_CIPHERS_C_S, ciphers.c_str()) == 0 &&
                              ssh_options_set(session.get(), SSH_OPTIONS_CIPHERS_S_C, ciphers.c_str()) == 0);
  // Only the pinned key's algorithms: a server with several host keys shows the pinned one.
  std::string pinned_type = host.pinned.substr(0, host.pinned.find(' '));
  const bool host_keys_taken =
      pinned_type.empty() ||
      ssh_options_set(session.get(), SSH_OPTIONS_HOSTKEYS, host_key_algorithms_for(pinned_type).c_str()) == 0;
  if (!ciphers_taken || !host_keys_taken || !configure(session.get(), address, port, user, std::max(timeout, std::chrono::milliseconds(1)))) {
    login = {SshLoginOutcome::failed, fmt::format("libssh rejects the options: {}", ssh_get_error(session.get()))};
    return nullptr;
  }
  if (ssh_connect(session.get()) != SSH_OK) {
    login = {SshLoginOutcome::failed, ssh_get_error(session.get())};
    return nullptr;
  }
  if (auto problem = host_key_problem(session.get(), address, host)) {
    login = {SshLoginOutcome::wrong_host_key, *problem};
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
                       const SshKeyPair& key, const SshHostKeyCheck& host, std::chrono::milliseconds timeout) {
  SshLogin login;
  open_ssh_session(address, port, user, key, host, timeout, login);
  return login;
}

}  // namespace banger
