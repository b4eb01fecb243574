#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/unique_fd.h"

namespace banger {

// The VM verbs beyond the lifecycle, as the bus edge sees them: domain
// services it holds by reference, whatever this bangerd was built or
// configured with. Each one runs after authorization, on a worker, and takes
// the VM's lock itself; one this bangerd cannot do answers
// Error(not_supported) there, so an unauthorized caller learns nothing of
// the build and NotSupported is decided in one place (issue 18).
// Implemented in the host layer (capabilities/vm_guest_services.h).

// AddAuthorizedKeys, RemoveAuthorizedKeys: users' own SSH keys in a guest.
class GuestKeysService {
 public:
  virtual ~GuestKeysService() = default;
  // Before authorization: Error(invalid_args) for text that is not OpenSSH public keys.
  virtual void check_keys(const std::vector<std::string>& keys) const = 0;
  // Before authorization: Error(invalid_args) for what is not a "SHA256:…" fingerprint.
  virtual void check_fingerprints(const std::vector<std::string>& fingerprints) const = 0;
  virtual void add(const std::string& vm_id, const std::vector<std::string>& keys, std::uint32_t added_by_uid) = 0;
  virtual void remove(const std::string& vm_id, const std::vector<std::string>& fingerprints) = 0;
};

// ForwardPort, RemoveForward: host ports forwarded into a guest. The
// arguments are checked before authorization with core/port_forward.h.
class ForwardsService {
 public:
  virtual ~ForwardsService() = default;
  virtual void add(const std::string& vm_id, const std::string& protocol, std::uint16_t host_port,
                   std::uint16_t guest_port) = 0;
  virtual void remove(const std::string& vm_id, const std::string& protocol, std::uint16_t host_port) = 0;
};

// OpenConsole: a socket to a running VM's serial console.
class ConsoleService {
 public:
  virtual ~ConsoleService() = default;
  // Error(invalid_state) unless the VM runs.
  virtual UniqueFd open(const std::string& vm_id) = 0;
};

}  // namespace banger
