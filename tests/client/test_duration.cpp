// bangerctl's --idle-suspend DURATION (client/bangerctl/duration.h).
#include <gtest/gtest.h>

#include "duration.h"

namespace bangerctl {
namespace {

TEST(Duration, PlainSecondsAndEachUnit) {
  EXPECT_EQ(parse_duration_s("0"), 0u);
  EXPECT_EQ(parse_duration_s("90"), 90u);
  EXPECT_EQ(parse_duration_s("90s"), 90u);
  EXPECT_EQ(parse_duration_s("15m"), 900u);
  EXPECT_EQ(parse_duration_s("2h"), 7200u);
  EXPECT_EQ(parse_duration_s("1d"), 86400u);
  EXPECT_EQ(parse_duration_s("0m"), 0u);
}

TEST(Duration, RefusesAnythingElse) {
  for (const char* bad : {"", "s", "m", "-5", "+5", "1.5h", "1h30m", " 5", "5 ", "5x", "h5", "five", "0x10", "5M"})
    EXPECT_EQ(parse_duration_s(bad), std::nullopt) << '"' << bad << '"';
}

TEST(Duration, RefusesWhatDoesNotFitThirtyTwoBits) {
  EXPECT_EQ(parse_duration_s("4294967295"), 4294967295u);
  EXPECT_EQ(parse_duration_s("4294967296"), std::nullopt);
  EXPECT_EQ(parse_duration_s("49711d"), std::nullopt);
  EXPECT_EQ(parse_duration_s("99999999999"), std::nullopt);
  EXPECT_EQ(parse_duration_s("9999999999d"), std::nullopt);
}

}  // namespace
}  // namespace bangerctl
