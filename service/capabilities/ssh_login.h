#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "capabilities/ssh_key_pair.h"

struct ssh_session_struct;

namespace banger {

enum class SshLoginOutcome {
  accepted,  // the server took the key
  denied,    // the server answered, but not with yes to the key
  failed,    // no SSH session came about (connection, key exchange, timeout)
  wrong_host_key,  // the server is not the guest: its host key is not the pinned one
};

// Which SSH host key the server must present (issue 17, finding 6): anything
// on a guest's bridge could answer at the guest's address otherwise. `pinned`:
// a public key line ("ssh-ed25519 AAAA…"); empty when none is known yet, and
// then the key the server presents goes to `first_seen` (trust on first use),
// which answers the key now pinned: a session whose key is not that one is
// refused too. Without `first_seen` either, any key is taken (tests only).
struct SshHostKeyCheck {
  std::string vm_name;  // for the error message
  std::string pinned;
  std::function<std::string(const std::string& presented)> first_seen;
};

struct SshLogin {
  SshLoginOutcome outcome = SshLoginOutcome::failed;
  std::string detail;  // libssh's message when not accepted
};

// One public-key authentication as `user` with `key` (libssh, blocking, within
// `timeout`), then a disconnect: no channel is opened. The server's host key
// is checked against `host` before the key is offered; no OpenSSH config,
// agent or known_hosts file of the daemon's user is read.
SshLogin try_ssh_login(const std::string& address, std::uint16_t port, const std::string& user,
                       const SshKeyPair& key, const SshHostKeyCheck& host, std::chrono::milliseconds timeout);

struct SshSessionDeleter {
  void operator()(ssh_session_struct* session) const noexcept;  // disconnects and frees
};
using SshSession = std::unique_ptr<ssh_session_struct, SshSessionDeleter>;

// The same login as try_ssh_login, keeping the session for channels when the
// key was accepted; null otherwise, with `login` saying why. `ciphers`, when
// given, is libssh's cipher preference list for both directions.
SshSession open_ssh_session(const std::string& address, std::uint16_t port, const std::string& user,
                            const SshKeyPair& key, const SshHostKeyCheck& host, std::chrono::milliseconds timeout,
                            SshLogin& login,
                            const std::string& ciphers = {});

}  // namespace banger
