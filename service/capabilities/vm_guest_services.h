#pragma once
#include "core/vm_guest_services.h"
#include "core/vm_sessions.h"

namespace banger {

class AuthorizedKeys;
class ConsoleRelayCapability;
class PortForwards;
class VmManager;

// The domain services of core/vm_guest_services.h over the capabilities that
// do the work. A capability this bangerd runs without (null) makes its
// service answer Error(not_supported) once authorized; the check of the
// arguments does not depend on it.

class VmGuestKeys final : public GuestKeysService {
 public:
  VmGuestKeys(VmManager& vms, AuthorizedKeys* keys) : vms_(vms), keys_(keys) {}
  void check_keys(const std::vector<std::string>& keys) const override;
  void check_fingerprints(const std::vector<std::string>& fingerprints) const override;
  void add(const std::string& vm_id, const std::vector<std::string>& keys, std::uint32_t added_by_uid) override;
  void remove(const std::string& vm_id, const std::vector<std::string>& fingerprints) override;

 private:
  VmManager& vms_;
  AuthorizedKeys* keys_;
};

class VmForwards final : public ForwardsService {
 public:
  VmForwards(VmManager& vms, PortForwards* forwards) : vms_(vms), forwards_(forwards) {}
  void add(const std::string& vm_id, const std::string& protocol, std::uint16_t host_port,
           std::uint16_t guest_port) override;
  void remove(const std::string& vm_id, const std::string& protocol, std::uint16_t host_port) override;

 private:
  VmManager& vms_;
  PortForwards* forwards_;
};

class VmConsoles final : public ConsoleService {
 public:
  // `sessions` (may be null): an opened console is a session begun (idle sleep).
  VmConsoles(VmManager& vms, const ConsoleRelayCapability* relay, VmSessions* sessions = nullptr)
      : vms_(vms), relay_(relay), sessions_(sessions) {}
  UniqueFd open(const std::string& vm_id) override;

 private:
  VmManager& vms_;
  const ConsoleRelayCapability* relay_;
  VmSessions* sessions_;
};

}  // namespace banger
