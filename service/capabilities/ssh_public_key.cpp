#include "capabilities/ssh_public_key.h"

#include <libssh/libssh.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

namespace {

// The types OpenSSH writes into .pub files (security-key types included).
constexpr std::array known_types{
    std::string_view("ssh-ed25519"),
    std::string_view("ecdsa-sha2-nistp256"),
    std::string_view("ecdsa-sha2-nistp384"),
    std::string_view("ecdsa-sha2-nistp521"),
    std::string_view("ssh-rsa"),
    std::string_view("sk-ssh-ed25519@openssh.com"),
    std::string_view("sk-ecdsa-sha2-nistp256@openssh.com"),
};

bool is_known_type(std::string_view word) {
  return std::find(known_types.begin(), known_types.end(), word) != known_types.end();
}

Error invalid(const std::string& why) { return Error(ErrorKind::invalid_args, why); }

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    size_t end = i;
    while (end < text.size() && !is_blank(text[end])) ++end;
    if (end > i) out.push_back(text.substr(i, end - i));
    i = end;
  }
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

struct KeyDeleter {
  void operator()(ssh_key key) const noexcept { ssh_key_free(key); }
};
using OwnedKey = std::unique_ptr<ssh_key_struct, KeyDeleter>;

struct CharsDeleter {
  void operator()(char* p) const noexcept { ssh_string_free_char(p); }
};

std::string canonical_blob(ssh_key key) {
  char* text = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &text) != SSH_OK || text == nullptr)
    throw Error(ErrorKind::backend_failed, "libssh cannot export a public key it has read");
  std::unique_ptr<char, CharsDeleter> owned(text);
  return text;
}

}  // namespace

std::string SshPublicKey::line() const {
  return comment.empty() ? fmt::format("{} {}", type, blob) : fmt::format("{} {} {}", type, blob, comment);
}

SshPublicKey parse_ssh_public_key(std::string_view line) {
  if (line.size() > max_public_key_line)
    throw invalid(fmt::format("is {} bytes long; a public key line has at most {}", line.size(), max_public_key_line));
  // One key per entry, and nothing the guest's authorized_keys could read as a second line.
  for (char c : line)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
      throw invalid("holds a line break or control character; give one key per entry");
  const std::string_view text = trimmed(line);
  if (text.empty()) throw invalid("is empty");
  if (text.find("PRIVATE KEY") != std::string_view::npos)
    throw invalid("is a private key; give the public key (the .pub file's line)");
  const auto parts = words(text);
  if (!is_known_type(parts[0])) {
    if (std::any_of(parts.begin() + 1, parts.end(), is_known_type))
      throw invalid("starts with options (\"" + std::string(parts[0].substr(0, 40)) +
                    "\"); only the key itself is accepted");
    throw invalid("is not an OpenSSH public key (\"<type> <base64> [comment]\" with a type such as ssh-ed25519)");
  }
  if (parts.size() < 2) throw invalid("has no key data after its type " + std::string(parts[0]));
  const std::string type(parts[0]);
  const std::string given_blob(parts[1]);
  ssh_key raw = nullptr;
  const int rc = ssh_pki_import_pubkey_base64(given_blob.c_str(), ssh_key_type_from_name(type.c_str()), &raw);
  OwnedKey key(raw);
  if (rc != SSH_OK || key == nullptr) throw invalid("holds key data that is not a valid " + type + " key");
  const char* actual = ssh_key_type_to_char(ssh_key_type(key.get()));
  if (actual == nullptr || type != actual)
    throw invalid(fmt::format("says {} but holds a {} key", type, actual != nullptr ? actual : "different"));

  SshPublicKey out;
  out.type = type;
  out.blob = canonical_blob(key.get());
  // The comment is everything after the key data, as written (it may hold blanks).
  const size_t after_blob = static_cast<size_t>(parts[1].data() - text.data()) + parts[1].size();
  out.comment = std::string(trimmed(text.substr(after_blob)));
  out.fingerprint = sha256_fingerprint(key.get());
  return out;
}

std::vector<SshPublicKey> parse_ssh_public_keys(const std::vector<std::string>& lines) {
  if (lines.empty()) throw invalid("no keys given");
  if (lines.size() > max_public_keys_per_call)
    throw invalid(fmt::format("{} keys given; at most {} a call", lines.size(), max_public_keys_per_call));
  std::vector<SshPublicKey> keys;
  std::set<std::string> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    SshPublicKey key;
    try {
      key = parse_ssh_public_key(lines[i]);
    } catch (const Error& e) {
      throw invalid(fmt::format("key {} {}", i + 1, e.what()));
    }
    if (seen.insert(key.blob).second) keys.push_back(std::move(key));
  }
  return keys;
}

void validate_fingerprints(const std::vector<std::string>& fingerprints) {
  if (fingerprints.empty()) throw invalid("no fingerprints given");
  if (fingerprints.size() > max_public_keys_per_call)
    throw invalid(fmt::format("{} fingerprints given; at most {} a call", fingerprints.size(), max_public_keys_per_call));
  constexpr std::string_view prefix = "SHA256:";
  constexpr size_t digest_chars = 43;  // 32 bytes of base64 without its padding
  for (const auto& fingerprint : fingerprints) {
    const bool ok = fingerprint.size() == prefix.size() + digest_chars && fingerprint.starts_with(prefix) &&
                    std::all_of(fingerprint.begin() + prefix.size(), fingerprint.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
                    });
    if (!ok)
      throw invalid("'" + fingerprint.substr(0, 80) +
                    "' is not a key fingerprint (SHA256:… as ssh-keygen -l and the AuthorizedKeys property show it)");
  }
}

std::string sha256_fingerprint(ssh_key_struct* key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != 0)
    throw Error(ErrorKind::backend_failed, "libssh cannot hash a public key");
  std::unique_ptr<char, CharsDeleter> text(ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length));
  ssh_clean_pubkey_hash(&hash);
  if (!text) throw Error(ErrorKind::backend_failed, "libssh cannot format a key's fingerprint");
  return text.get();
}

}  // namespace banger
