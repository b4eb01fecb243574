#pragma once
#include <string>

namespace banger {

// Runs an nft script as one transaction through libnftables (its own context,
// output and errors buffered, so nothing reaches the daemon's stdout).
// Throws Error(backend_failed) "<what>: <nftables' error text>".
void run_nft_script(const std::string& script, const char* what);

}  // namespace banger
