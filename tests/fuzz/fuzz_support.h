#pragma once
// What every fuzz target asserts of a parser: for any input it returns or
// throws banger::Error. Any other exception escapes, std::terminate aborts
// and libFuzzer reports the input; sanitizers report memory errors, UB and
// leaks the same way.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/errors.h"

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

}  // namespace banger::fuzz
