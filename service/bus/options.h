#pragma once
#include <map>
#include <string>

#include <sdbus-c++/Types.h>

#include "core/options.h"

namespace banger {

// a{sv} → the domain's OptionMap; never throws (odd types become Unsupported,
// which the domain's parsers reject naming the key).
OptionMap to_option_map(const std::map<std::string, sdbus::Variant>& options);

}  // namespace banger
