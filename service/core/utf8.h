#pragma once
#include <string>
#include <string_view>

namespace banger {

// `text` with each byte that is not part of a well-formed UTF-8 sequence
// replaced by U+FFFD. D-Bus strings must be UTF-8 (sd-bus refuses to send any
// other), so whatever a guest, a VMM or a caller's archive chose to name
// something passes through this before it reaches a property or an error.
std::string valid_utf8(std::string_view text);

}  // namespace banger
