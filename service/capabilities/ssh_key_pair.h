#pragma once
#include <filesystem>
#include <memory>
#include <string>

struct ssh_key_struct;  // libssh's key; only ssh_*.cpp need libssh's header

namespace banger {

// The daemon's own SSH key, which every VM on a network gets in root's
// authorized_keys: <dir>/id_ed25519 (OpenSSH format, 0600, so `ssh -i` and
// dropbear's client take it too) and id_ed25519.pub, in a 0700 <dir>. The
// private key is the truth: the .pub file is rewritten from it when missing or
// not the same key. Copies share the loaded key.
class SshKeyPair {
 public:
  // Loads the key, or makes one when there is none yet (written to a temporary
  // file and renamed, so a crash never leaves half a key). Throws
  // Error(backend_failed) naming the file that cannot be read, parsed or written.
  static SshKeyPair load_or_create(const std::filesystem::path& dir, const std::string& comment = default_comment());
  // "banger@<host name>".
  static std::string default_comment();

  const std::filesystem::path& private_key_file() const { return private_key_file_; }
  std::filesystem::path public_key_file() const;
  // One authorized_keys line: "ssh-ed25519 AAAA… banger@host".
  const std::string& public_key() const { return public_key_; }
  // "SHA256:…", as ssh-keygen -l prints it.
  const std::string& fingerprint() const { return fingerprint_; }
  ssh_key_struct* key() const { return key_.get(); }

  // Reads the private key file again and throws Error(backend_failed) when it
  // is gone, unreadable or no longer this key (the doctor's check).
  void check_file() const;

 private:
  SshKeyPair(std::filesystem::path private_key_file, std::shared_ptr<ssh_key_struct> key, std::string public_key,
             std::string fingerprint);

  std::filesystem::path private_key_file_;
  std::shared_ptr<ssh_key_struct> key_;
  std::string public_key_;
  std::string fingerprint_;
};

}  // namespace banger
