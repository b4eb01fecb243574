#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "capabilities/authorized_keys_guest.h"
#include "core/authorized_key_events.h"
#include "core/capability.h"
#include "capabilities/ssh_public_key.h"
#include "core/vm_attachment.h"
#include "core/authorized_key_store.h"

namespace banger {

// Users' own public keys for a VM's guest user (root), so they log in with
// their key and bangerd's never leaves the host. Keys are stored per VM and go
// with it; a clone starts without any (its owner adds their own). A running
// guest gets a key at once over bangerd's SSH session, and all of them again
// after every start (the guest's init rewrites authorized_keys at each boot),
// so this capability comes after ssh-access, which waits for that session.
class AuthorizedKeys final : public Capability {
 public:
  static constexpr std::size_t max_keys_per_vm = 64;

  struct Deps {
    AuthorizedKeyStore& store;
    VmAttachments& attachments;
    // null: a daemon without host networking, whose guests cannot be reached; keys are only stored.
    GuestShell* shell;
    AuthorizedKeyEvents& events;
    std::string daemon_key_blob;  // bangerd's own key, which users cannot add or remove
  };
  explicit AuthorizedKeys(Deps deps);

  std::string_view name() const override { return "authorized-keys"; }
  void post_start(const VmRecord& vm) override;

  // Both run under the VM's lock (VmManager::inspect) on its committed record.
  // add: Error(invalid_args) for bangerd's own key or more than max_keys_per_vm
  // keys; a running guest that cannot take them (backend_failed) leaves none stored.
  void add(const VmRecord& vm, const std::vector<SshPublicKey>& keys, std::uint32_t added_by_uid);
  // remove: Error(invalid_args) naming a fingerprint the VM does not hold.
  void remove(const VmRecord& vm, const std::vector<std::string>& fingerprints);

  // What the AuthorizedKeys property shows for every VM that has keys.
  std::map<std::string, std::vector<AuthorizedKeyInfo>> all();

  static AuthorizedKeyInfo info_of(const StoredAuthorizedKey& key);

 private:
  // The guest's address when keys can reach it now (running, on a network, a shell).
  std::optional<std::string> reachable(const VmRecord& vm);
  void announce(const std::string& vm_id);

  Deps deps_;
};

}  // namespace banger
