#pragma once
#include <fmt/format.h>

#include <string_view>

namespace banger::log {

// bangerd logs to stderr with sd-daemon priority prefixes, which journald reads.
void write(int priority, std::string_view message);

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  write(6, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  write(4, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(3, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace banger::log
