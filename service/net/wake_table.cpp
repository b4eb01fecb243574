#include "net/wake_table.h"

#include "net/nft_script.h"
#include "net/wake_ruleset.h"

namespace banger {

void WakeTable::set(const std::vector<WakeEntry>& entries) {
  std::vector<WakeRule> rules;
  for (const auto& e : entries) rules.push_back({e.address, e.host_ports});
  run_nft_script(wake_apply_script(rules, queue_num_), "applying banger's wake table");
}

void WakeTable::remove() { run_nft_script(wake_remove_script(), "removing banger's wake table"); }

}  // namespace banger
