#pragma once
// The caller's own SSH keys and bangerctl's known-hosts file, for `bangerctl ssh|exec`.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bangerctl {

struct UserSshKey {
  std::filesystem::path private_key;
  std::string public_line;  // the .pub file's first line
  std::string fingerprint;  // "SHA256:…"
};

// The user's home: $HOME, else the password database's.
std::filesystem::path home_dir();

// ~/.ssh/id_ed25519, id_ecdsa, id_ed25519_sk, id_ecdsa_sk, id_rsa (in that
// order), then any other ~/.ssh/*.pub, each only with its private key beside it.
std::vector<UserSshKey> user_ssh_keys(const std::filesystem::path& ssh_dir);

// $XDG_STATE_HOME/banger/known_hosts (default ~/.local/state), its directory made (0700).
std::filesystem::path banger_known_hosts();

// `words` as one command line for the guest's sh, each word single-quoted, so
// `exec VM -- sh -c 'exit 7'` runs what it says (ssh joins its arguments with blanks).
std::string remote_command(const std::vector<std::string>& words);

}  // namespace bangerctl
