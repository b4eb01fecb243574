#include "bus/options.h"

namespace banger {

namespace {

OptionValue convert(const sdbus::Variant& v) {
  std::string sig = v.peekValueType();
  if (sig == "b") return v.get<bool>();
  if (sig == "u") return v.get<std::uint32_t>();
  if (sig == "i") return v.get<std::int32_t>();
  if (sig == "t") return v.get<std::uint64_t>();
  if (sig == "x") return v.get<std::int64_t>();
  if (sig == "d") return v.get<double>();
  if (sig == "s") return v.get<std::string>();
  return UnsupportedOption{sig.empty() ? "?" : sig};
}

}  // namespace

OptionMap to_option_map(const std::map<std::string, sdbus::Variant>& options) {
  OptionMap out;
  for (const auto& [key, value] : options) out.emplace(key, convert(value));
  return out;
}

}  // namespace banger
