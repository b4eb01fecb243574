#pragma once
#include <map>
#include <mutex>

#include "core/host_tap_guards.h"

namespace banger {

// HostTapGuards in the daemon's network namespace: keeps every guard and
// replaces banger's bridge table (net/tap_guard_ruleset.h) with all of them
// at each change, through libnftables, one change at a time. A change the
// kernel refuses leaves the table and the guards as they were.
class TapGuardTable final : public HostTapGuards {
 public:
  void guard(const TapGuard& guard) override;
  void unguard(const std::string& tap) override;
  void guard_only(const std::vector<TapGuard>& guards) override;

 private:
  void apply(const std::map<std::string, TapGuard>& guards);

  std::mutex mutex_;
  std::map<std::string, TapGuard> guards_;
};

}  // namespace banger
