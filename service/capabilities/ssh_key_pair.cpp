#include "capabilities/ssh_key_pair.h"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "capabilities/ssh_public_key.h"
#include "core/log.h"
#include "core/unique_fd.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

constexpr const char* private_key_name = "id_ed25519";

Error file_error(const fs::path& file, const std::string& what) {
  return Error(ErrorKind::backend_failed, fmt::format("the daemon's SSH key {}: {}", file.string(), what));
}

struct CharDeleter {
  void operator()(char* p) const { ssh_string_free_char(p); }
};
using SshChars = std::unique_ptr<char, CharDeleter>;

std::shared_ptr<ssh_key_struct> own(ssh_key key) { return {key, ssh_key_free}; }

// nullopt when the file does not exist; throws when it exists but cannot be read.
std::optional<std::string> read_file(const fs::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() && errno == ENOENT) return std::nullopt;
  if (!fd.valid()) throw file_error(file, std::strerror(errno));
  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw file_error(file, std::strerror(errno));
    if (n == 0) return content;
    content.append(buffer, static_cast<size_t>(n));
  }
}

// Readers see the old file or the whole new one, never a part.
void write_atomically(const fs::path& file, const std::string& content, mode_t mode) {
  try {
    write_file_atomically(file, content, mode);
  } catch (const Error& e) {
    throw file_error(file, e.what());
  }
}

void make_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, fs::perms::owner_all, ec);
  if (ec) throw Error(ErrorKind::backend_failed, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
}

std::shared_ptr<ssh_key_struct> parse_private_key(const fs::path& file, const std::string& content) {
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_base64(content.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK || key == nullptr)
    throw file_error(file, "not a private key in a format libssh reads (corrupt?); move it away to get a new key");
  auto owned = own(key);
  if (ssh_key_type(key) != SSH_KEYTYPE_ED25519)
    throw file_error(file, fmt::format("a {} key, not an Ed25519 one", ssh_key_type_to_char(ssh_key_type(key))));
  return owned;
}

std::shared_ptr<ssh_key_struct> generate(const fs::path& file) {
  ssh_key key = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK || key == nullptr)
    throw file_error(file, "libssh cannot generate an Ed25519 key");
  auto owned = own(key);
  // For Ed25519 keys libssh writes the OpenSSH format ("BEGIN OPENSSH PRIVATE KEY").
  char* text = nullptr;
  if (ssh_pki_export_privkey_base64(key, nullptr, nullptr, nullptr, &text) != SSH_OK || text == nullptr)
    throw file_error(file, "libssh cannot export the new key");
  SshChars owned_text(text);
  write_atomically(file, text, 0600);
  return owned;
}

// "ssh-ed25519 AAAA…", without a comment.
std::string public_key_of(const fs::path& file, ssh_key key) {
  char* blob = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &blob) != SSH_OK || blob == nullptr)
    throw file_error(file, "libssh cannot export its public key");
  SshChars owned_blob(blob);
  return fmt::format("{} {}", ssh_key_type_to_char(ssh_key_type(key)), blob);
}

std::string fingerprint_of(const fs::path& file, ssh_key key) {
  try {
    return sha256_fingerprint(key);
  } catch (const Error& e) {
    throw file_error(file, e.what());
  }
}

// The .pub file's line when it holds `key_text` (keeping its comment), else a
// new line with `comment`, written to the file.
std::string sync_public_key_file(const fs::path& file, const std::string& key_text, const std::string& comment) {
  std::optional<std::string> content;
  try {
    content = read_file(file);
  } catch (const Error& e) {
    log::warn("{}; writing it again", e.what());
  }
  if (content) {
    std::string line = content->substr(0, content->find('\n'));
    if (line.rfind(key_text + " ", 0) == 0 || line == key_text) return line;
    log::warn("{} does not hold the public half of the daemon's SSH key; writing it again", file.string());
  }
  std::string line = comment.empty() ? key_text : fmt::format("{} {}", key_text, comment);
  write_atomically(file, line + "\n", 0644);
  return line;
}

}  // namespace

SshKeyPair::SshKeyPair(fs::path private_key_file, std::shared_ptr<ssh_key_struct> key, std::string public_key,
                       std::string fingerprint)
    : private_key_file_(std::move(private_key_file)),
      key_(std::move(key)),
      public_key_(std::move(public_key)),
      fingerprint_(std::move(fingerprint)) {}

std::string SshKeyPair::default_comment() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "banger";
  return fmt::format("banger@{}", host);
}

SshKeyPair SshKeyPair::load_or_create(const fs::path& dir, const std::string& comment) {
  make_private_dir(dir);
  const fs::path file = dir / private_key_name;
  std::shared_ptr<ssh_key_struct> key;
  if (auto content = read_file(file)) {
    key = parse_private_key(file, *content);
  } else {
    key = generate(file);
    log::info("made the daemon's SSH key {}", file.string());
  }
  const std::string key_text = public_key_of(file, key.get());
  std::string line = sync_public_key_file(file.string() + ".pub", key_text, comment);
  return SshKeyPair(file, std::move(key), std::move(line), fingerprint_of(file, key.get()));
}

fs::path SshKeyPair::public_key_file() const { return private_key_file_.string() + ".pub"; }

void SshKeyPair::check_file() const {
  auto content = read_file(private_key_file_);
  if (!content) throw file_error(private_key_file_, "it is gone");
  auto key = parse_private_key(private_key_file_, *content);
  if (ssh_key_cmp(key.get(), key_.get(), SSH_KEY_CMP_PRIVATE) != 0)
    throw file_error(private_key_file_, "it changed since bangerd started; restart bangerd to use the new key");
}

}  // namespace banger
