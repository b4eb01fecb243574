#pragma once
// A property's value as event text: "running", "42", "true", "[a, b]", "{k: v}".

#include <sdbus-c++/Types.h>

#include <string>

namespace banger::client::detail {

std::string value_text(const sdbus::Variant& value);

}  // namespace banger::client::detail
