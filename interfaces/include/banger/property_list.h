#pragma once
// The property tags of one interface, in its XML's order (generated: <interface>_properties.h).

#include <cstddef>
#include <type_traits>

namespace banger::properties {

template <typename... Tags>
struct PropertyList {
  static constexpr std::size_t size = sizeof...(Tags);
};

// The position of Tag in a list of tags; a tag not in it does not compile.
template <typename Tag, typename... Tags>
constexpr std::size_t index_of() {
  constexpr bool found[] = {std::is_same_v<Tag, Tags>...};
  for (std::size_t i = 0; i < sizeof...(Tags); ++i)
    if (found[i]) return i;
  throw "not a property of this interface";  // reached only in a constant expression: a compile error
}

}  // namespace banger::properties
