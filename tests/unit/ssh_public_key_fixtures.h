#pragma once
// Fresh OpenSSH public key lines, made by libssh for each test.
#include <libssh/libssh.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace banger::testing {

// "<type> <base64>" of a newly generated key of `type` (bits for RSA/ECDSA).
inline std::string generated_public_key(ssh_keytypes_e type = SSH_KEYTYPE_ED25519, int bits = 0) {
  ssh_key key = nullptr;
  if (ssh_pki_generate(type, bits, &key) != SSH_OK) throw std::runtime_error("ssh_pki_generate failed");
  std::unique_ptr<ssh_key_struct, void (*)(ssh_key)> owned(key, ssh_key_free);
  char* blob = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &blob) != SSH_OK) throw std::runtime_error("export failed");
  std::string line = std::string(ssh_key_type_to_char(ssh_key_type(key))) + " " + blob;
  ssh_string_free_char(blob);
  return line;
}

}  // namespace banger::testing
