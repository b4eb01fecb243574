#pragma once
#include <cstdint>

#include "core/wake_on_connect.h"

namespace banger {

// WakeRules over banger's wake table (net/wake_ruleset.h) in the network
// namespace of the calling thread, through libnftables: its rules replaced at
// each change (one or two per suspended VM), its two chains kept while bangerd
// runs (empty when no VM sleeps), since deleting a chain would drop the SYNs
// held meanwhile. remove() deletes it, for a bangerd without a queue.
class WakeTable final : public WakeRules {
 public:
  explicit WakeTable(std::uint16_t queue_num) : queue_num_(queue_num) {}
  void set(const std::vector<WakeEntry>& entries) override;
  void remove();

 private:
  std::uint16_t queue_num_;
};

}  // namespace banger
