#pragma once
// One table per interface: a line per property saying where its value comes from.
// The getters (properties::<Interface>TableAdaptor), the PropertiesChanged lists
// (changed()) and GetManagedObjects (managed_objects.cpp) all read the table, so a
// property is the XML line, the record field and one line here. The table must
// list exactly the XML's properties in the XML's order (generated tags, All):
// anything else does not compile.

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "banger/property_list.h"

namespace banger {

// One line: the property's tag (generated from the XML) and how to read it off a View.
// `read` may return a reference (GetManagedObjects then copies nothing) or any value
// that the tag's D-Bus type can be made from.
template <typename Tag, typename Read>
struct PropertyLine {
  using tag = Tag;
  Read read;
};

template <typename Tag, typename Read>
constexpr PropertyLine<Tag, Read> line(Read read) {
  return {read};
}

template <typename View, typename... Lines>
class PropertyTable {
 public:
  using Tags = properties::PropertyList<typename Lines::tag...>;

  constexpr explicit PropertyTable(Lines... lines) : lines_(lines...) {}

  // The value as the tag's D-Bus type: what a Get answers.
  template <typename Tag>
  typename Tag::type get(const View& view) const {
    using Value = decltype(raw<Tag>(view));
    static_assert(std::is_constructible_v<typename Tag::type, Value>, "this line's value is not the XML's type");
    return typename Tag::type(raw<Tag>(view));
  }

  // The value as the line gives it (often a reference into the view).
  template <typename Tag>
  decltype(auto) raw(const View& view) const {
    return std::get<properties::index_of<Tag, typename Lines::tag...>()>(lines_).read(view);
  }

  // f(tag, value) for each property, in the XML's order.
  template <typename F>
  void for_each(const View& view, F&& f) const {
    std::apply([&](const auto&... line) { (f(typename std::decay_t<decltype(line)>::tag{}, line.read(view)), ...); },
               lines_);
  }

  // The names of the properties that signal changes (not EmitsChangedSignal const or
  // false) whose values differ between two views, in the XML's order.
  std::vector<std::string> changed(const View& before, const View& after) const {
    std::vector<std::string> names;
    std::apply(
        [&](const auto&... line) {
          (
              [&] {
                using Tag = typename std::decay_t<decltype(line)>::tag;
                if constexpr (Tag::emits_changes)
                  if (!(line.read(before) == line.read(after))) names.emplace_back(Tag::name);
              }(),
              ...);
        },
        lines_);
    return names;
  }

 private:
  std::tuple<Lines...> lines_;
};

template <typename View, typename... Lines>
constexpr PropertyTable<View, Lines...> property_table(Lines... lines) {
  return PropertyTable<View, Lines...>(lines...);
}

// The table's lines are the interface's properties, in order (a compile-time check).
template <typename Table, typename All>
inline constexpr bool covers_exactly = std::is_same_v<typename Table::Tags, All>;

}  // namespace banger
