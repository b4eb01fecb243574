#pragma once
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <memory>
#include <string>

#include "config.h"

namespace banger {

// The uid (and gid: the same number) a jailed Firecracker of one VM drops to.
struct JailOwner {
  uid_t uid;
  gid_t gid;
};

// Hands each Firecracker VM its own uid from [base, base + count) ([firecracker]
// jailer_uid_base / jailer_uid_count), so that two jailed VMMs never share a
// user and one escaped VMM cannot touch another VM's disks or tap. A uid is
// held from the VM's creation (or first start, for older VMs) until its
// delete, so it is stable across starts and daemon restarts and never held by
// two VMs at once.
//
// Kept as one file per held uid, `<dir>/<uid>` holding the VM id: written to a
// temporary file and link()ed into place, which fails when the claim exists (two
// VMs can never win the same uid, even across processes) and leaves either no
// claim or a whole one after a crash. Thread-safe.
class JailerIds {
 public:
  JailerIds(std::filesystem::path dir, std::uint32_t base, std::uint32_t count);

  // The VM's uid: the one it holds, else the lowest free one. Throws
  // Error(resource_exhausted) when every uid of the range is held.
  JailOwner acquire(const std::string& vm_id);
  std::optional<JailOwner> held_by(const std::string& vm_id) const;
  // How many uids of the range no VM holds.
  std::uint32_t free_count() const;
  // Gives the VM's uid back (delete). Idempotent, never throws.
  void release(const std::string& vm_id) noexcept;

  std::uint32_t base() const { return base_; }
  std::uint32_t count() const { return count_; }

 private:
  std::optional<std::uint32_t> find_locked(const std::string& vm_id) const;

  std::filesystem::path dir_;
  std::uint32_t base_, count_;
  mutable std::mutex mutex_;
};

// The ids of the configured range kept in <state_dir>/jailer-uids; null when
// no jailer is configured or jailer_uid_count is 0 (one fixed uid for all).
std::shared_ptr<JailerIds> make_jailer_ids(const FirecrackerSettings& settings, const std::filesystem::path& state_dir);
// The same range and claims for every VMM that runs as its VM's own uid (QEMU's
// too, issue 17 finding 3), jailer or not; null only when jailer_uid_count is 0.
std::shared_ptr<JailerIds> make_vmm_ids(const FirecrackerSettings& settings, const std::filesystem::path& state_dir);

}  // namespace banger
