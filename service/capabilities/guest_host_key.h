#pragma once
#include <string>

namespace banger {

// A guest's SSH host key made by bangerd (issue 17, finding 6), so bangerd
// knows the key before the guest first boots instead of trusting whatever
// answers at the guest's address: an Ed25519 key in the file format of
// dropbear (the default image's SSH server), and its public half to pin.
struct GuestHostKey {
  std::string public_line;    // "ssh-ed25519 AAAA…", as a known_hosts entry holds it
  std::string dropbear_file;  // what dropbear reads from /etc/dropbear/dropbear_ed25519_host_key
};

// A new random key; Error(backend_failed) when libssh cannot make one.
GuestHostKey make_guest_host_key();

// Where dropbear -R (the default image's init) looks for its Ed25519 host key.
inline constexpr const char* dropbear_ed25519_host_key_file = "/etc/dropbear/dropbear_ed25519_host_key";

}  // namespace banger
