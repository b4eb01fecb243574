#pragma once
#include <string>
#include <string_view>

namespace banger::net {

// A MAC address that is the same for the same seed on every host and run
// (FNV-1a of the seed), locally administered and unicast: "x2:xx:xx:xx:xx:xx".
std::string stable_mac(std::string_view seed);

}  // namespace banger::net
