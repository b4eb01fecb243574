#include <random>

#include <fmt/format.h>

#include "core/errors.h"
#include "workspace/entry_rules.h"
#include "workspace/routes.h"
#include "workspace/workspaces.h"

namespace banger {

namespace workspace {

namespace {
constexpr std::string_view staging_prefix = ".banger-incoming-";
}

std::string staging_name() {
  std::random_device random;
  return fmt::format("{}{:08x}{:08x}", staging_prefix, random(), random());
}

bool not_staging(std::string_view path) { return !path.starts_with(staging_prefix); }

}  // namespace workspace

namespace {

std::string directory_under_work(const std::string& key, const OptionValue& value) {
  auto path = workspace::normalised_relative(option_as<std::string>(key, value), fmt::format("option '{}'", key));
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
      out.replace = option_as<bool>(key, value);
    else if (key == "size")
      out.size = option_as<std::uint64_t>(key, value);
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
