#pragma once
#include <vector>

#include "net/nat_network.h"

namespace banger {

// Owns banger's nftables table (inet banger, see nat_ruleset.h) in the
// network namespace of the calling thread, through libnftables. Never reads
// or changes any other table. Each call opens its own libnftables context, so
// calls from different threads do not share state.
//
// Errors: banger::Error invalid_args for bad input (nothing is applied),
// backend_failed with libnftables' error text when the kernel refuses.
class NatTable {
 public:
  // Atomically replaces banger's table with the one `networks` describe.
  // Idempotent: applying the same networks twice leaves the same ruleset.
  // Takes the whole desired state each time; concurrent callers should
  // serialise (the last batch wins).
  void apply(const std::vector<NatNetwork>& networks);

  // Deletes banger's table; no error when it is absent.
  void remove();
};

}  // namespace banger
