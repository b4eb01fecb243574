#include "net/tap_guard_table.h"

#include <vector>

#include "core/errors.h"
#include "core/log.h"
#include "net/nft_script.h"
#include "net/tap_guard_ruleset.h"

namespace banger {

void TapGuardTable::apply(const std::map<std::string, TapGuard>& guards) {
  std::vector<TapGuard> list;
  for (const auto& [tap, guard] : guards) list.push_back(guard);
  run_nft_script(tap_guard_apply_script(list), "applying banger's tap guards (nftables bridge banger_guard)");
  written_ = true;
}

bool TapGuardTable::add(const TapGuard& guard) {
  const auto script = tap_guard_add_script(guard);  // Error(invalid_args) goes to the caller
  try {
    run_nft_script(script, "adding a tap guard (nftables bridge banger_guard)");
    return true;
  } catch (const Error& e) {
    // Nothing of a refused transaction is applied; the whole table is written next.
    log::warn("tap {}: the guard table is not as banger wrote it ({}); writing it whole", guard.tap, e.what());
    return false;
  }
}

void TapGuardTable::guard(const TapGuard& guard) {
  std::lock_guard lock(mutex_);
  auto next = guards_;
  next[guard.tap] = guard;
  // A tap already guarded changes its guard: that deletes rules, so the table is written whole.
  if (!(written_ && !guards_.contains(guard.tap) && add(guard))) apply(next);
  guards_ = std::move(next);
}

void TapGuardTable::unguard(const std::string& tap) {
  std::lock_guard lock(mutex_);
  if (!guards_.contains(tap)) return;
  auto next = guards_;
  next.erase(tap);
  apply(next);
  guards_ = std::move(next);
}

void TapGuardTable::guard_only(const std::vector<TapGuard>& guards) {
  std::lock_guard lock(mutex_);
  std::map<std::string, TapGuard> next;
  for (const auto& guard : guards) next[guard.tap] = guard;
  apply(next);
  guards_ = std::move(next);
}

}  // namespace banger
