#pragma once
// Builds an a{sv} option dictionary (banger::OptionMap, as the bus layer hands
// it to the domain) from fuzz bytes: each entry a key, mostly one a parser
// knows, and a value of any type the bus can deliver, with boundary numbers
// more likely than the rest.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include "core/options.h"

namespace banger::fuzz {

inline constexpr std::array known_option_keys{
    "vcpus",   "memory",  "image",         "backend",       "network", "disk",  "work_disk",
    "keep_work_disk", "forward_ports", "autostart", "idle_suspend", "name", "subnet",  "nat",   "dns_domain", "target",
    "replace", "size",    "source",        "",
};

template <typename T>
T boundary_or_any(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: return std::numeric_limits<T>::min();
    case 1: return std::numeric_limits<T>::max();
    case 2: return T{0};
    case 3: return static_cast<T>(in.ConsumeIntegralInRange<int>(-2, 70000));
    default: return in.ConsumeIntegral<T>();
  }
}

inline OptionValue decode_option_value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: return in.ConsumeBool();
    case 1: return boundary_or_any<std::uint32_t>(in);
    case 2: return boundary_or_any<std::int32_t>(in);
    case 3: return boundary_or_any<std::uint64_t>(in);
    case 4: return boundary_or_any<std::int64_t>(in);
    case 5: return in.ConsumeFloatingPoint<double>();
    case 6: return in.ConsumeRandomLengthString(256);
    default: return UnsupportedOption{in.ConsumeRandomLengthString(8)};
  }
}

inline OptionMap decode_option_map(FuzzedDataProvider& in) {
  OptionMap options;
  const int entries = in.ConsumeIntegralInRange<int>(0, 8);
  for (int i = 0; i < entries && in.remaining_bytes() > 0; ++i) {
    std::string key = in.ConsumeBool() ? std::string(in.PickValueInArray(known_option_keys))
                                       : in.ConsumeRandomLengthString(32);
    options[key] = decode_option_value(in);
  }
  return options;
}

}  // namespace banger::fuzz
