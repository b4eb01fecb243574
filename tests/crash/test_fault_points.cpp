// The fault point registry (service/core/fault_points.h) against the sources:
// every listed point is used exactly once (a used point that is not listed does
// not compile), so the crash test's walk over the list covers every call site.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/fault_points.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

std::map<std::string, int> uses_in(const fs::path& root) {
  std::map<std::string, int> uses;
  const std::regex call(R"re(BANGER_FAULT_POINT\("([^"]+)"\))re");
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const auto source = text.str();
    for (auto it = std::sregex_iterator(source.begin(), source.end(), call); it != std::sregex_iterator(); ++it)
      ++uses[(*it)[1]];
  }
  return uses;
}

TEST(FaultPoints, EveryListedPointIsUsedOnce) {
  const auto uses = uses_in(fs::path(BANGER_SOURCE_ROOT) / "service");
  for (auto point : fault::points) {
    const auto found = uses.find(std::string(point));
    EXPECT_TRUE(found != uses.end() && found->second == 1)
        << point << " is used " << (found == uses.end() ? 0 : found->second) << " times";
  }
  EXPECT_EQ(uses.size(), std::size(fault::points));
  EXPECT_GE(std::size(fault::points), 30u);
}

TEST(FaultPoints, NamesAreUnique) {
  std::map<std::string_view, int> seen;
  for (auto point : fault::points) EXPECT_EQ(++seen[point], 1) << point;
}

}  // namespace
}  // namespace banger
