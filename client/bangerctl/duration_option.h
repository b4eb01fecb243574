#pragma once
// --idle-suspend DURATION for create and set: checked on the command line, so
// a typo is a usage error before any call; the daemon checks the range.
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "duration.h"

namespace bangerctl {

inline CLI::Option* add_idle_suspend_option(CLI::App* sub, std::uint32_t& seconds) {
  const CLI::Validator duration(
      [](std::string& text) -> std::string {
        return parse_duration_s(text) ? "" : "not a duration: give seconds, or a number with s, m, h or d (15m)";
      },
      "DURATION");
  return sub
      ->add_option_function<std::string>(
          "--idle-suspend", [&seconds](const std::string& text) { seconds = parse_duration_s(text).value_or(0); },
          "Suspend the VM after this long idle (0 = never; 90s, 15m, 2h); a TCP connect wakes it")
      ->check(duration);
}

}  // namespace bangerctl
