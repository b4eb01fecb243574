#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace banger::doctor {

struct CommandOutput {
  int exit_code = -1;  // -1: killed (timed out) or did not start
  std::string output;  // stdout and stderr together, at most a few KiB
  std::string problem;  // why it did not run to its end ("" when it did)
};

// Runs argv[0] (a path, not looked up) with no stdin, for at most `timeout`,
// then kills it: a doctor check must answer quickly whatever the binary does.
CommandOutput command_output(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace banger::doctor
