#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "capabilities/ssh_login.h"
#include "core/vm.h"

namespace banger {

// The SSH host key each VM's guest must present (issue 17, finding 6), one
// public key line in <state>/vms/<id>/ssh_host_key.pub, which goes with the
// VM's directory. Pinned at create (or clone) when bangerd gave the guest its
// key (ImageFiles), else at the first SSH session that reaches the guest
// (trust on first use: images without dropbear's key directory, and VMs made
// before pinning). Copies share nothing but the directory; safe on any thread.
class GuestHostKeys {
 public:
  explicit GuestHostKeys(std::filesystem::path state_dir);

  std::filesystem::path file_of(const std::string& vm_id) const;
  std::optional<std::string> pinned(const std::string& vm_id) const;
  // Replaces the VM's pin (create and clone, before the first boot).
  void pin(const std::string& vm_id, const std::string& public_line) const;
  // Pins `public_line` unless a key is pinned already; the pin in force.
  std::string pin_if_none(const std::string& vm_id, const std::string& public_line) const;
  // What every SSH session to the VM's guest checks.
  SshHostKeyCheck check_for(const VmRecord& vm) const;
  SshHostKeyCheck check_for(const std::string& vm_id, const std::string& vm_name) const;

 private:
  std::filesystem::path state_dir_;
};

}  // namespace banger
