#include "user_ssh_keys.h"

#include "banger/client.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>

namespace bangerctl {

namespace fs = std::filesystem;

namespace {

constexpr std::array preferred{"id_ed25519", "id_ecdsa", "id_ed25519_sk", "id_ecdsa_sk", "id_rsa"};

std::optional<UserSshKey> key_at(const fs::path& private_key) {
  std::error_code ec;
  if (!fs::is_regular_file(private_key, ec)) return std::nullopt;
  std::ifstream pub(private_key.string() + ".pub");
  std::string line;
  if (!pub || !std::getline(pub, line) || line.empty()) return std::nullopt;
  try {
    return UserSshKey{private_key, line, banger::client::public_key_fingerprint(line)};
  } catch (const banger::client::Error&) {
    return std::nullopt;  // not a key ssh could use either
  }
}

}  // namespace

fs::path home_dir() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
  throw std::runtime_error("cannot tell your home directory (set HOME)");
}

std::vector<UserSshKey> user_ssh_keys(const fs::path& ssh_dir) {
  std::vector<UserSshKey> keys;
  for (const char* name : preferred)
    if (auto key = key_at(ssh_dir / name)) keys.push_back(*std::move(key));
  std::vector<fs::path> others;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ssh_dir, ec)) {
    const auto& path = entry.path();
    if (path.extension() != ".pub") continue;
    auto private_key = fs::path(path).replace_extension();
    if (std::find(preferred.begin(), preferred.end(), private_key.filename().string()) == preferred.end())
      others.push_back(private_key);
  }
  std::sort(others.begin(), others.end());
  for (const auto& path : others)
    if (auto key = key_at(path)) keys.push_back(*std::move(key));
  return keys;
}

fs::path banger_known_hosts() {
  fs::path state;
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg == '/')
    state = xdg;
  else
    state = home_dir() / ".local" / "state";
  const fs::path dir = state / "banger";
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all);
  return dir / "known_hosts";
}

std::string remote_command(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& word : words) {
    if (!line.empty()) line += ' ';
    line += '\'';
    for (char c : word) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

}  // namespace bangerctl
