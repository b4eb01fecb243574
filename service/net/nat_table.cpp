#include "net/nat_table.h"

#include "net/nat_ruleset.h"
#include "net/nft_script.h"

namespace banger {

void NatTable::apply(const std::vector<NatNetwork>& networks) {
  run_nft_script(nat_apply_script(networks), "applying banger's nftables table");
}

void NatTable::remove() { run_nft_script(nat_remove_script(), "removing banger's nftables table"); }

}  // namespace banger
