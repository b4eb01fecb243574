#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace bangerctl {

// A duration as the command line writes it: plain seconds ("90"), or a number
// with one unit s, m, h or d ("90s", "15m", "2h", "1d"); "0" is zero. Nothing
// else: no signs, spaces, fractions or mixed units. nullopt when the text is
// not one, or does not fit 32 bits of seconds. The daemon checks the range.
std::optional<std::uint32_t> parse_duration_s(std::string_view text);

}  // namespace bangerctl
