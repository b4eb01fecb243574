#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

struct ssh_key_struct;  // libssh's key

namespace banger {

// One OpenSSH public key as an authorized_keys line holds it, checked by libssh.
struct SshPublicKey {
  std::string type;         // "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", …
  std::string blob;         // the key's base64, as libssh exports it (the same key always gives the same text)
  std::string comment;      // may be empty
  std::string fingerprint;  // "SHA256:…", as ssh-keygen -l prints it

  std::string line() const;  // "<type> <blob>[ <comment>]"
};

// What one AddAuthorizedKeys call may carry: a .pub line is well under 1 KiB
// (a 16384-bit RSA key about 2.8 KiB), and a user has a handful of keys.
inline constexpr std::size_t max_public_key_line = 8192;
inline constexpr std::size_t max_public_keys_per_call = 32;

// `line` as a public key: type, base64 and an optional comment, nothing else
// (no authorized_keys options, no private key, no line break or control
// character). Error(invalid_args) saying what is wrong with it.
SshPublicKey parse_ssh_public_key(std::string_view line);

// Every entry parsed as above, in order, duplicates (the same key) dropped.
// Error(invalid_args) for an empty or too long list, or naming the first bad
// entry ("key 2 …").
std::vector<SshPublicKey> parse_ssh_public_keys(const std::vector<std::string>& lines);

// RemoveAuthorizedKeys' argument: 1 .. max_public_keys_per_call fingerprints,
// each "SHA256:" and 43 base64 characters. Error(invalid_args) naming a bad one.
void validate_fingerprints(const std::vector<std::string>& fingerprints);

// "SHA256:…" of a libssh key; Error(backend_failed) when libssh cannot hash it.
std::string sha256_fingerprint(ssh_key_struct* key);

}  // namespace banger
