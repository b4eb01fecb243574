#include "capabilities/authorized_keys.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace {

std::uint64_t now_us() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Stored lines were parsed before they were stored; parsing again gives the fingerprint.
std::vector<SshPublicKey> parsed(const std::vector<StoredAuthorizedKey>& stored) {
  std::vector<SshPublicKey> keys;
  keys.reserve(stored.size());
  for (const auto& key : stored) keys.push_back(parse_ssh_public_key(key.line));
  return keys;
}

}  // namespace

AuthorizedKeys::AuthorizedKeys(Deps deps) : deps_(std::move(deps)) {}

AuthorizedKeyInfo AuthorizedKeys::info_of(const StoredAuthorizedKey& key) {
  try {
    auto parsed_key = parse_ssh_public_key(key.line);
    return {parsed_key.fingerprint, parsed_key.comment};
  } catch (const Error&) {
    // Only a database edited by hand gets here; show the row rather than hide it.
    return {"invalid", key.line.substr(0, 64)};
  }
}

std::optional<std::string> AuthorizedKeys::reachable(const VmRecord& vm) {
  if (deps_.shell == nullptr || vm.state != VmState::running) return std::nullopt;
  auto attachment = deps_.attachments.attachment_of(vm);
  if (!attachment) return std::nullopt;
  return attachment->address;
}

void AuthorizedKeys::post_start(const VmRecord& vm) {
  if (deps_.shell == nullptr) return;
  const auto stored = deps_.store.list_authorized_keys(vm.id);
  if (stored.empty()) return;
  auto attachment = deps_.attachments.attachment_of(vm);
  if (!attachment) return;
  deps_.shell->run(vm, attachment->address, install_keys_script(parsed(stored)));
  log::info("VM '{}': installed {} authorized key(s) for root", vm.name, stored.size());
}

void AuthorizedKeys::add(const VmRecord& vm, const std::vector<SshPublicKey>& keys, std::uint32_t added_by_uid) {
  for (const auto& key : keys)
    if (key.blob == deps_.daemon_key_blob)
      throw Error(ErrorKind::invalid_args, "key " + key.fingerprint + " is bangerd's own key; give your own");
  std::vector<std::string> held;
  for (const auto& key : deps_.store.list_authorized_keys(vm.id)) held.push_back(key.blob);
  std::vector<StoredAuthorizedKey> rows;
  std::vector<std::string> fresh;
  const auto added_at = now_us();
  for (const auto& key : keys) {
    rows.push_back({key.line(), key.blob, added_at, added_by_uid});
    if (std::find(held.begin(), held.end(), key.blob) == held.end()) fresh.push_back(key.blob);
  }
  deps_.store.add_authorized_keys(vm.id, rows, max_keys_per_vm);
  if (auto address = reachable(vm)) {
    try {
      deps_.shell->run(vm, *address, install_keys_script(keys));
    } catch (...) {
      deps_.store.remove_authorized_keys(vm.id, fresh);
      throw;
    }
  }
  if (!fresh.empty()) announce(vm.id);
}

void AuthorizedKeys::remove(const VmRecord& vm, const std::vector<std::string>& fingerprints) {
  const auto stored = deps_.store.list_authorized_keys(vm.id);
  std::vector<std::string> blobs;
  for (const auto& fingerprint : fingerprints) {
    auto it = std::find_if(stored.begin(), stored.end(),
                           [&](const StoredAuthorizedKey& key) { return info_of(key).fingerprint == fingerprint; });
    if (it == stored.end())
      throw Error(ErrorKind::invalid_args, fmt::format("VM '{}' holds no key {}", vm.name, fingerprint));
    blobs.push_back(it->blob);
  }
  // The guest first: when it cannot be changed, the key stays listed, as it still works.
  if (auto address = reachable(vm)) deps_.shell->run(vm, *address, remove_keys_script(blobs));
  deps_.store.remove_authorized_keys(vm.id, blobs);
  announce(vm.id);
}

std::map<std::string, std::vector<AuthorizedKeyInfo>> AuthorizedKeys::all() {
  std::map<std::string, std::vector<AuthorizedKeyInfo>> out;
  for (const auto& [vm_id, keys] : deps_.store.all_authorized_keys())
    for (const auto& key : keys) out[vm_id].push_back(info_of(key));
  return out;
}

void AuthorizedKeys::announce(const std::string& vm_id) {
  std::vector<AuthorizedKeyInfo> infos;
  for (const auto& key : deps_.store.list_authorized_keys(vm_id)) infos.push_back(info_of(key));
  deps_.events.authorized_keys_changed(vm_id, std::move(infos));
}

}  // namespace banger
