#include "capabilities/guest_host_key.h"

#include <libssh/libssh.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/errors.h"

namespace banger {

namespace {

Error key_error(const std::string& what) {
  return Error(ErrorKind::backend_failed, "cannot make a guest's SSH host key: " + what);
}

std::string base64_decode(std::string_view text) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '+') value = 62;
    else if (c == '/') value = 63;
    else continue;  // line breaks and padding
    bits = bits << 6 | static_cast<std::uint32_t>(value);
    if (++count == 4) {
      out += static_cast<char>(bits >> 16 & 0xff);
      out += static_cast<char>(bits >> 8 & 0xff);
      out += static_cast<char>(bits & 0xff);
      bits = 0;
      count = 0;
    }
  }
  if (count == 3) {
    out += static_cast<char>(bits >> 10 & 0xff);
    out += static_cast<char>(bits >> 2 & 0xff);
  } else if (count == 2) {
    out += static_cast<char>(bits >> 4 & 0xff);
  }
  return out;
}

// SSH wire format: a big-endian uint32, and strings prefixed by their length.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  std::uint32_t u32() {
    if (data_.size() < 4) throw key_error("libssh's OpenSSH key is cut short");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(data_[i]);
    data_.remove_prefix(4);
    return v;
  }
  std::string_view string() {
    const auto length = u32();
    if (data_.size() < length) throw key_error("libssh's OpenSSH key is cut short");
    auto s = data_.substr(0, length);
    data_.remove_prefix(length);
    return s;
  }
  void skip(std::size_t n) { data_.remove_prefix(std::min(n, data_.size())); }

 private:
  std::string_view data_;
};

void put_string(std::string& out, std::string_view s) {
  const auto n = static_cast<std::uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(n >> shift & 0xff);
  out += s;
}

// The 64 bytes (seed, then public key) an unencrypted "openssh-key-v1" Ed25519
// key holds: the same 64 bytes dropbear keeps.
std::string ed25519_secret_of(const std::string& pem) {
  const std::string_view begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  const std::string_view end = "-----END OPENSSH PRIVATE KEY-----";
  const auto from = pem.find(begin), to = pem.find(end);
  if (from == std::string::npos || to == std::string::npos || to < from)
    throw key_error("libssh did not export an OpenSSH-format key");
  const auto blob = base64_decode(std::string_view(pem).substr(from + begin.size(), to - from - begin.size()));
  const std::string_view magic("openssh-key-v1\0", 15);
  if (blob.compare(0, magic.size(), magic) != 0) throw key_error("libssh's key is not openssh-key-v1");
  WireReader r(std::string_view(blob).substr(magic.size()));
  if (r.string() != "none" || r.string() != "none") throw key_error("libssh's key is encrypted");
  r.string();  // KDF options
  if (r.u32() != 1) throw key_error("libssh's key file holds more than one key");
  r.string();  // the public key
  WireReader secret(r.string());
  if (secret.u32() != secret.u32()) throw key_error("libssh's key fails its check");
  if (secret.string() != "ssh-ed25519") throw key_error("libssh's key is not Ed25519");
  secret.string();  // the public key again
  const auto pair = secret.string();
  if (pair.size() != 64) throw key_error("libssh's Ed25519 key is not 64 bytes");
  return std::string(pair);
}

struct KeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
struct CharDeleter {
  void operator()(char* p) const { ssh_string_free_char(p); }
};

}  // namespace

GuestHostKey make_guest_host_key() {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw) != SSH_OK || raw == nullptr) throw key_error("libssh failed");
  std::unique_ptr<ssh_key_struct, KeyDeleter> key(raw);
  char* pem_raw = nullptr;
  if (ssh_pki_export_privkey_base64(key.get(), nullptr, nullptr, nullptr, &pem_raw) != SSH_OK || pem_raw == nullptr)
    throw key_error("libssh cannot export it");
  std::unique_ptr<char, CharDeleter> pem(pem_raw);
  char* public_raw = nullptr;
  if (ssh_pki_export_pubkey_base64(key.get(), &public_raw) != SSH_OK || public_raw == nullptr)
    throw key_error("libssh cannot export its public half");
  std::unique_ptr<char, CharDeleter> public_base64(public_raw);

  GuestHostKey out;
  out.public_line = std::string("ssh-ed25519 ") + public_base64.get();
  // dropbear's format (its ed25519.c): the key type, then seed and public key as one string.
  put_string(out.dropbear_file, "ssh-ed25519");
  put_string(out.dropbear_file, ed25519_secret_of(pem.get()));
  return out;
}

}  // namespace banger
