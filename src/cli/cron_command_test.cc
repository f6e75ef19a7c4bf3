// `taskly cron next`: fire times printed in the expression's zone, with that zone's offsets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_test_util.h"

namespace taskly::cli::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(CronNext, FixedTimeAcrossSpringForwardInNewYork) {
  // 2026-03-08 02:30 does not exist in New York: a fixed-time job fires once at the jump
  // (03:00 EDT), and the offset changes from -05:00 to -04:00.
  CliRun r = RunTaskly({"cron", "next", "30 2 * * *", "--tz", "America/New_York", "--from",
                        "2026-03-06T12:00:00Z", "--count", "4"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(Lines(r.out), ElementsAre("2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00",
                                        "2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"));
}

TEST(CronNext, WildcardFiresInBothPassesOfFallBack) {
  // 2026-11-01 01:00-01:59 happens twice in New York; a wildcard-minute job runs in both.
  CliRun r = RunTaskly({"cron", "next", "*/30 1-2 * * *", "--tz", "America/New_York", "--from",
                        "2026-11-01T04:00:00Z", "--count", "6"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(Lines(r.out), ElementsAre("2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00",
                                        "2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00",
                                        "2026-11-01T02:00:00-05:00", "2026-11-01T02:30:00-05:00"));
}

TEST(CronNext, SummerTimeAfter2037FollowsTheZoneRule) {
  // The zone files list transitions up to 2037 and give the rule for later years; July is
  // summer time (+02:00 in Berlin, -04:00 in New York) in those years too.
  CliRun r = RunTaskly({"cron", "next", "0 12 1 7 *", "--tz", "Europe/Berlin", "--from",
                        "2038-01-01T00:00:00Z", "--count", "2"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(Lines(r.out), ElementsAre("2038-07-01T12:00:00+02:00", "2039-07-01T12:00:00+02:00"));
  CliRun ny = RunTaskly({"cron", "next", "0 12 * * *", "--tz", "America/New_York", "--from",
                         "2099-07-04T00:00:00Z", "--count", "1"});
  ASSERT_EQ(ny.code, 0) << ny;
  EXPECT_THAT(Lines(ny.out), ElementsAre("2099-07-04T12:00:00-04:00"));
}

TEST(CronNext, SecondsFieldAndMacro) {
  CliRun seconds = RunTaskly(
      {"cron", "next", "*/20 * * * * *", "--from", "2026-01-01T00:00:05Z", "--count", "3"});
  ASSERT_EQ(seconds.code, 0) << seconds;
  EXPECT_THAT(Lines(seconds.out),
              ElementsAre("2026-01-01T00:00:20+00:00", "2026-01-01T00:00:40+00:00",
                          "2026-01-01T00:01:00+00:00"));
  CliRun hourly = RunTaskly({"cron", "next", "@hourly", "--tz", "Asia/Kolkata", "--from",
                             "2026-01-01T00:10:00Z", "--count", "2"});
  ASSERT_EQ(hourly.code, 0) << hourly;
  EXPECT_THAT(Lines(hourly.out),
              ElementsAre("2026-01-01T06:00:00+05:30", "2026-01-01T07:00:00+05:30"));
}

TEST(CronNext, DefaultsAreUtcFiveTimesFromNow) {
  CliRun r = RunTaskly({"cron", "next", "* * * * *"});
  ASSERT_EQ(r.code, 0) << r;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u);
  for (const std::string& line : lines) EXPECT_THAT(line, ::testing::EndsWith(":00+00:00"));
  EXPECT_LT(lines[0], lines[1]);
}

TEST(CronNext, JsonOutput) {
  CliRun r = RunTaskly({"cron", "next", "0 9 * * MON-FRI", "--tz", "Europe/Berlin", "--from",
                        "2026-03-27T12:00:00Z", "--count", "2", "--json"});
  ASSERT_EQ(r.code, 0) << r;
  Json j = r.json();
  EXPECT_EQ(j["expression"], "0 9 * * MON-FRI");
  EXPECT_EQ(j["tz"], "Europe/Berlin");
  // Friday 27 March in CET, then Monday 30 March after the switch to CEST.
  EXPECT_EQ(j["next"], Json::array({"2026-03-30T09:00:00+02:00", "2026-03-31T09:00:00+02:00"}));
}

TEST(CronNext, BadExpressionNamesTheField) {
  CliRun r = RunTaskly({"cron", "next", "0 25 * * *"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_THAT(r.err, HasSubstr("cron.hour"));
}

}  // namespace
}  // namespace taskly::cli::testing
