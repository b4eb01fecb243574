#pragma once
// Reading a{sv} property maps leniently: a missing or mistyped property keeps
// its default, so a newer daemon does not break old clients.

#include <sdbus-c++/Types.h>

#include <map>
#include <string>

namespace banger::client::detail {

template <class T>
void take(const std::map<std::string, sdbus::Variant>& props, const char* key, T& out) {
  const auto it = props.find(key);
  if (it != props.end() && it->second.containsValueOfType<T>()) out = it->second.get<T>();
}

}  // namespace banger::client::detail
