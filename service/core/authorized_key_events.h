#pragma once
#include <string>
#include <vector>

namespace banger {

// What a VM's AuthorizedKeys property shows of one key.
struct AuthorizedKeyInfo {
  std::string fingerprint;  // "SHA256:…"
  std::string comment;
  bool operator==(const AuthorizedKeyInfo&) const = default;
};

// Told whenever a VM's stored keys change (on a worker thread, after the commit).
class AuthorizedKeyEvents {
 public:
  virtual ~AuthorizedKeyEvents() = default;
  virtual void authorized_keys_changed(const std::string& vm_id, std::vector<AuthorizedKeyInfo> keys) = 0;
};

}  // namespace banger
