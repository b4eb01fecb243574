#pragma once
#include <cstdint>

#include "core/wake_on_connect.h"

namespace banger {

// WakeRules over banger's wake table (net/wake_ruleset.h) in the network
// namespace of the calling thread, through libnftables. The table is made when
// a VM first needs it (the first set() with an entry), not before: a host
// where no VM sleeps has none. From then on its rules are replaced at each
// change (one or two per suspended VM) and its two chains kept, empty when no
// VM sleeps, since deleting a chain would drop the SYNs held meanwhile;
// remove() deletes it (bangerd's shutdown, or a bangerd without a queue).
//
// A table left by a bangerd that was killed is not trusted: the first set()
// replaces it (refilled in place when a VM needs it, deleted otherwise).
// Not thread-safe: its one user (WakeOnConnect) calls it under its own lock.
class WakeTable final : public WakeRules {
 public:
  explicit WakeTable(std::uint16_t queue_num) : queue_num_(queue_num) {}
  void set(const std::vector<WakeEntry>& entries) override;
  void remove();

 private:
  // What this process knows of the table: unknown until it first touches it
  // (a killed bangerd may have left one).
  enum class Known { unknown, absent, present };

  std::uint16_t queue_num_;
  Known known_ = Known::unknown;
};

}  // namespace banger
