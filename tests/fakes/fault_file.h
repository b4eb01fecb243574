#pragma once
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

namespace banger::testing {

// Faults the bus tests inject into bangerd-test at run time: one per line,
// "name" or "name=value", in the file named by $BANGER_TEST_FAULTS_FILE.
// Read on every use, so a test can change them without restarting the daemon.
inline std::optional<std::string> fault(const std::string& name) {
  const char* path = std::getenv("BANGER_TEST_FAULTS_FILE");
  if (path == nullptr) return std::nullopt;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line == name) return std::string();
    if (line.starts_with(name + "=")) return line.substr(name.size() + 1);
  }
  return std::nullopt;
}

}  // namespace banger::testing
