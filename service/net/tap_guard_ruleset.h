#pragma once
#include <string>
#include <vector>

#include "core/host_tap_guards.h"

namespace banger {

// banger's bridge-family nftables table (bridge banger_guard), apart from the
// NAT table (inet banger) so that each is replaced on its own:
//   prerouting: each guarded tap's frames go through a chain of its own that
//     accepts its MAC's ARP and IPv4 from its address and drops the rest; any
//     other banger tap ("bgt*") gets nothing through at all;
//   forward: frames from an isolated tap to any other banger tap are dropped.
// Error(invalid_args) for a tap name, MAC or address that is not one.
std::string tap_guard_apply_script(const std::vector<TapGuard>& guards);
// Adds one more tap's guard to a table that holds the others' (made by
// tap_guard_apply_script) and not yet this tap's: its chain, its jump ahead of
// the closing drop, its isolation rule. Nothing is deleted, so the kernel does
// not wait out an RCU grace period (a table replaced whole took 8-16 ms, more
// with every guard; this takes ~0.1 ms: issue 18). Fails on any other table
// (no table, or the tap's chain already there). Error(invalid_args) as above.
std::string tap_guard_add_script(const TapGuard& guard);
// Deletes the table; no error when it is absent.
std::string tap_guard_remove_script();

}  // namespace banger
