#pragma once
#include <cstdint>

#include "core/wake_on_connect.h"

namespace banger {

// WakeRules over banger's wake table (net/wake_ruleset.h) in the network
// namespace of the calling thread, through libnftables: replaced whole at each
// change (one rule per suspended VM, few and seldom), deleted when no VM is
// left to wake, so nothing stays behind.
class WakeTable final : public WakeRules {
 public:
  explicit WakeTable(std::uint16_t queue_num) : queue_num_(queue_num) {}
  void set(const std::vector<WakeEntry>& entries) override;

 private:
  std::uint16_t queue_num_;
};

}  // namespace banger
