#pragma once
#include "core/idle_suspend.h"
#include "core/vm_sessions.h"
#include "daemon/storage.h"

namespace banger {

// core/idle_suspend.h's signals from the host: the VMM's CPU time from its
// /proc entry (all its threads, vCPUs included), the tap's byte counters from
// sysfs, and bangerd's own sessions. Reads only kernel counters, never
// anything the guest wrote.
class HostIdleSignals final : public IdleSignals {
 public:
  HostIdleSignals(Storage& storage, const VmSessions& sessions) : storage_(storage), sessions_(sessions) {}
  std::optional<IdleSample> sample(const VmRecord& vm) override;

 private:
  Storage& storage_;
  const VmSessions& sessions_;
};

}  // namespace banger
