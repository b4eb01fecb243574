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

// By a tag generated from the interface XML (<interface>_properties.h): its name
// and its D-Bus type come from the XML, so a reader cannot misspell either.
template <class Tag, class T>
void take(const std::map<std::string, sdbus::Variant>& props, T& out) {
  const auto it = props.find(Tag::name);
  if (it != props.end() && it->second.template containsValueOfType<typename Tag::type>())
    out = it->second.template get<typename Tag::type>();
}

}  // namespace banger::client::detail
