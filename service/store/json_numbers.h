#pragma once
#include <concepts>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace banger {

// The integer `value` holds when it is a JSON integer within T's range;
// nullopt for anything else. Files banger reads back (handles, records) may
// hold anything after a crash or a hand's edit, and nlohmann's get<T>() would
// convert 1e300 to an int (undefined behaviour) or wrap 2^32 + 1 silently.
template <std::integral T>
std::optional<T> json_integer(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const auto n = value.get<std::uint64_t>();
    if (std::in_range<T>(n)) return static_cast<T>(n);
  } else if (value.is_number_integer()) {
    const auto n = value.get<std::int64_t>();
    if (std::in_range<T>(n)) return static_cast<T>(n);
  }
  return std::nullopt;
}

// Member `key` of a JSON object as above; throws std::runtime_error naming
// the key when it is missing or not such an integer (nlohmann's at() throws
// for a missing key or a non-object).
template <std::integral T>
T required_json_integer(const nlohmann::json& object, const char* key) {
  if (auto n = json_integer<T>(object.at(key))) return *n;
  throw std::runtime_error(std::string("'") + key + "' is not an integer in range");
}

}  // namespace banger
