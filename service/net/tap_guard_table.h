#pragma once
#include <map>
#include <mutex>

#include "core/host_tap_guards.h"

namespace banger {

// HostTapGuards in the daemon's network namespace: keeps every guard and
// replaces banger's bridge table (net/tap_guard_ruleset.h) with all of them
// at each change, through libnftables, one change at a time. A change the
// kernel refuses leaves the table and the guards as they were.
// The exception, for the start of a VM (issue 18): a new tap's guard is added
// to the table this object last wrote whole, with nothing deleted (a
// replacement waits out an RCU grace period, 8-16 ms, growing with the VMs;
// the addition ~0.1 ms). Where that table is not there as written (deleted or
// changed behind banger's back), the addition fails and the table is
// replaced whole as before.
class TapGuardTable final : public HostTapGuards {
 public:
  void guard(const TapGuard& guard) override;
  void unguard(const std::string& tap) override;
  void guard_only(const std::vector<TapGuard>& guards) override;

 private:
  void apply(const std::map<std::string, TapGuard>& guards);
  // Adds a tap's guard to the table as written; false when the kernel refused.
  bool add(const TapGuard& guard);

  std::mutex mutex_;
  std::map<std::string, TapGuard> guards_;
  bool written_ = false;  // the table holds exactly guards_, as this object wrote it
};

}  // namespace banger
