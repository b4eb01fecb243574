#pragma once
// What every fuzz target asserts of a parser: for any input it returns or
// throws banger::Error. Any other exception escapes, std::terminate aborts
// and libFuzzer reports the input; sanitizers report memory errors, UB and
// leaks the same way.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/errors.h"
#include "core/utf8.h"

namespace banger::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `parse`, taking the parser's documented error (banger::Error unless
// the parser names another) as a fine answer to bad input.
template <typename DomainError = banger::Error, typename Parse>
void expect_result_or_domain_error(Parse&& parse) {
  try {
    parse();
  } catch (const DomainError&) {
  }
}

// D-Bus strings must be UTF-8: text that reaches a property or an error
// reply and is not would never reach the caller.
inline bool is_utf8(std::string_view text) { return banger::valid_utf8(text) == text; }

// As above, and the error's message can travel in a D-Bus error reply.
template <typename Parse>
void expect_result_or_dbus_safe_error(Parse&& parse) {
  try {
    parse();
  } catch (const banger::Error& e) {
    if (!is_utf8(e.what())) __builtin_trap();
  }
}

}  // namespace banger::fuzz
