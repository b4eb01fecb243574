#pragma once
#include <optional>
#include <string>

namespace banger {

// Runs an nft script as one transaction through libnftables (its own context,
// output and errors buffered, so nothing reaches the daemon's stdout).
// Throws Error(backend_failed) "<what>: <nftables' error text>".
void run_nft_script(const std::string& script, const char* what);

// What nftables prints for a listing command ("list table inet banger_fwd"),
// or nullopt when it refuses (no such table). Reads only: no transaction.
std::optional<std::string> nft_listing(const std::string& command);

}  // namespace banger
