#include <fmt/format.h>

#include "core/errors.h"
#include "workspace/entry_rules.h"
#include "workspace/routes.h"
#include "workspace/workspaces.h"

namespace banger {

namespace {

template <typename T>
const T& expect(const std::string& key, const OptionValue& value) {
  if (const T* typed = std::get_if<T>(&value)) return *typed;
  throw Error(ErrorKind::invalid_args, fmt::format("option '{}' must be of type '{}', not '{}'", key,
                                                   signature_of(OptionValue{T{}}), signature_of(value)));
}

std::string directory_under_work(const std::string& key, const OptionValue& value) {
  auto path = workspace::normalised_relative(expect<std::string>(key, value), fmt::format("option '{}'", key));
  if (!workspace::not_staging(path))
    throw Error(ErrorKind::invalid_args,
                fmt::format("option '{}': names starting with .banger-incoming- are banger's own", key));
  return path;
}

[[noreturn]] void unknown(const std::string& key, std::string_view known) {
  throw Error(ErrorKind::invalid_args, fmt::format("unknown option '{}' (known: {})", key, known));
}

}  // namespace

PushOptions parse_push_options(const OptionMap& options) {
  PushOptions out;
  for (const auto& [key, value] : options) {
    if (key == "target")
      out.target = directory_under_work(key, value);
    else if (key == "replace")
      out.replace = expect<bool>(key, value);
    else if (key == "size")
      out.size = expect<std::uint64_t>(key, value);
    else
      unknown(key, "target, replace, size");
  }
  if (out.replace && out.target.empty())
    throw Error(ErrorKind::invalid_args, "option 'replace' needs a 'target': it would empty all of /work");
  return out;
}

PullOptions parse_pull_options(const OptionMap& options) {
  PullOptions out;
  for (const auto& [key, value] : options) {
    if (key == "source")
      out.source = directory_under_work(key, value);
    else
      unknown(key, "source");
  }
  return out;
}

}  // namespace banger
