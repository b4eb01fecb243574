#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "capabilities/guest_host_keys.h"
#include "capabilities/ssh_key_pair.h"
#include "capabilities/ssh_public_key.h"

namespace banger {

// Where the default image's guest user (root) keeps its keys; the guest's
// init writes bangerd's key there at every boot.
inline const std::filesystem::path guest_authorized_keys_file{"/root/.ssh/authorized_keys"};

// A shell script (sh, busybox's will do) that appends each key to `file` unless
// a line there already holds its key data, so bangerd's own key and keys put
// there by hand stay.
std::string install_keys_script(const std::vector<SshPublicKey>& keys,
                                const std::filesystem::path& file = guest_authorized_keys_file);
// A script that drops every line of `file` holding one of `blobs`' key data
// (replacing the file whole, so it never holds half of the change).
std::string remove_keys_script(const std::vector<std::string>& blobs,
                               const std::filesystem::path& file = guest_authorized_keys_file);

// Runs a script as root in a running guest; Error(backend_failed) saying why
// when it cannot or the script fails.
class GuestShell {
 public:
  virtual ~GuestShell() = default;
  virtual void run(const VmRecord& vm, const std::string& address, const std::string& script) = 0;
};

// Over SSH with bangerd's own key (libssh), one session per script, to a
// server that presents the VM's pinned host key.
class SshGuestShell final : public GuestShell {
 public:
  SshGuestShell(SshKeyPair key, GuestHostKeys host_keys, std::chrono::milliseconds timeout, std::uint16_t port = 22);
  void run(const VmRecord& vm, const std::string& address, const std::string& script) override;

 private:
  SshKeyPair key_;
  GuestHostKeys host_keys_;
  std::chrono::milliseconds timeout_;
  std::uint16_t port_;
};

}  // namespace banger
