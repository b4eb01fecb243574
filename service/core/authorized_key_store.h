#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace banger {

// A public key someone gave a VM's guest user (VM.AddAuthorizedKeys).
struct StoredAuthorizedKey {
  std::string line;  // the normalised authorized_keys line: "<type> <blob>[ <comment>]"
  std::string blob;  // the key's base64, what makes two lines the same key
  std::uint64_t added_at_us = 0;
  std::uint32_t added_by_uid = 0;
  bool operator==(const StoredAuthorizedKey&) const = default;
};

// Per-VM public keys, beside the VMs in the same database; a VM's keys go with
// its row. Thread-safe; every mutation is one transaction. Errors:
// Error(no_such_vm) when the VM does not exist, Error(invalid_args) when the
// keys would pass `max_keys`, Error(internal) otherwise.
class AuthorizedKeyStore {
 public:
  virtual ~AuthorizedKeyStore() = default;

  // In the order they were added.
  virtual std::vector<StoredAuthorizedKey> list_authorized_keys(const std::string& vm_id) = 0;
  // Every VM's keys, for start-up (VMs without keys are absent).
  virtual std::map<std::string, std::vector<StoredAuthorizedKey>> all_authorized_keys() = 0;
  // Adds the keys whose blob the VM does not hold yet (the others keep their
  // line and date); refuses them all when the VM would then hold more than
  // `max_keys`. Returns how many were added.
  virtual std::size_t add_authorized_keys(const std::string& vm_id, const std::vector<StoredAuthorizedKey>& keys,
                                          std::size_t max_keys) = 0;
  // Removes the VM's keys with these blobs; returns how many went.
  virtual std::size_t remove_authorized_keys(const std::string& vm_id, const std::vector<std::string>& blobs) = 0;
};

}  // namespace banger
