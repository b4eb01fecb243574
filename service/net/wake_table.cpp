#include "net/wake_table.h"

#include "net/nft_script.h"
#include "net/wake_ruleset.h"

namespace banger {

void WakeTable::set(const std::vector<WakeEntry>& entries) {
  if (entries.empty() && known_ != Known::present) {
    // Nothing to hold and no table of ours: none is made (a leftover one goes).
    if (known_ == Known::unknown) remove();
    return;
  }
  std::vector<WakeRule> rules;
  for (const auto& e : entries) rules.push_back({e.address, e.host_ports});
  run_nft_script(wake_apply_script(rules, queue_num_), "applying banger's wake table");
  known_ = Known::present;
}

void WakeTable::remove() {
  run_nft_script(wake_remove_script(), "removing banger's wake table");
  known_ = Known::absent;
}

}  // namespace banger
