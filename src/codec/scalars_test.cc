// Durations and times as text: accepted and refused forms, canonical formatting, round trips.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "codec/codec_test_util.h"
#include "codec/json_codec.h"

namespace taskly::codec {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using testutil::Utc;

constexpr hours kDay{24};

struct GoodDuration {
  const char* text;
  Duration want;
};

TEST(ParseDuration, AcceptsIntegerPartsLargestFirst) {
  const std::vector<GoodDuration> cases = {
      {"0s", Duration::zero()},
      {"0ns", Duration::zero()},
      {"90s", seconds(90)},
      {"1h30m", seconds(5400)},
      {"250ms", milliseconds(250)},
      {"1s500ms", milliseconds(1500)},
      {"2d", 2 * kDay},
      {"1d2h3m4s5ms6us7ns", kDay + hours(2) + minutes(3) + seconds(4) + milliseconds(5) +
                                microseconds(6) + nanoseconds(7)},
      {"1500ms", milliseconds(1500)},  // non-canonical but fine
      {"007s", seconds(7)},
      {"1h0m", hours(1)},
      {"9223372036854775807ns", Duration::max()},
      {"106751d23h47m16s854ms775us807ns", Duration::max()},
  };
  for (const GoodDuration& c : cases) {
    SCOPED_TRACE(c.text);
    Result<Duration> d = ParseDuration(c.text, "timeout");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->count(), c.want.count());
  }
}

struct BadDuration {
  const char* text;
  const char* message_part;
};

TEST(ParseDuration, RefusesOtherFormsNamingTheField) {
  const std::vector<BadDuration> cases = {
      {"", "it is empty"},
      {"1.5s", "amounts must be integers"},
      {"1,5s", "amounts must be integers"},
      {"-5s", "must not be negative"},
      {"+5s", "expected <integer><unit> parts"},
      {"5", "a unit must follow each amount"},
      {"s", "expected <integer><unit> parts"},
      {"5x", "unknown unit \"x\""},
      {"5S", "unknown unit \"S\""},
      {"5µs", "a unit must follow each amount"},
      {"5 s", "a unit must follow each amount"},
      {" 5s", "expected <integer><unit> parts"},
      {"5s ", "expected <integer><unit> parts"},
      {"30m1h", "largest to smallest"},
      {"1s1s", "largest to smallest"},
      {"1e3s", "unknown unit \"e\""},
      {"9223372036854775808ns", "too large"},
      {"106752d", "too large"},
      {"106751d23h47m16s854ms775us808ns", "too large"},
      {"99999999999999999999999s", "too large"},
  };
  for (const BadDuration& c : cases) {
    SCOPED_TRACE(c.text);
    Result<Duration> d = ParseDuration(c.text, "task.backoff.cap");
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(d.status().field(), "task.backoff.cap");
    EXPECT_THAT(d.status().message(), HasSubstr(c.message_part));
  }
}

TEST(ParseDuration, MessageQuotesTheTextAndSaysIntegersOnly) {
  Result<Duration> d = ParseDuration("1.5s", "timeout");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(),
            "\"1.5s\" is not a duration: amounts must be integers (write \"1s500ms\" rather than "
            "\"1.5s\")");
}

TEST(ParseDuration, QuotesLongOrBinaryTextSafely) {
  Result<Duration> d = ParseDuration(std::string(100, 'x'), "timeout");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("\"" + std::string(64, 'x') + "...\""));
  Result<Duration> binary = ParseDuration("5\xff\n", "timeout");
  ASSERT_FALSE(binary.ok());
  // Escaped and valid UTF-8, so the error itself serializes as JSON.
  EXPECT_THAT(binary.status().message(), HasSubstr("\"5\xEF\xBF\xBD\\n\""));
}

TEST(FormatDuration, CanonicalLargestUnitsFirst) {
  EXPECT_EQ(FormatDuration(Duration::zero()), "0s");
  EXPECT_EQ(FormatDuration(seconds(5400)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1s500ms");
  EXPECT_EQ(FormatDuration(seconds(90)), "1m30s");
  EXPECT_EQ(FormatDuration(kDay), "1d");
  EXPECT_EQ(FormatDuration(kDay + nanoseconds(1)), "1d1ns");
  EXPECT_EQ(FormatDuration(microseconds(250)), "250us");
  EXPECT_EQ(FormatDuration(Duration::max()), "106751d23h47m16s854ms775us807ns");
  EXPECT_EQ(FormatDuration(seconds(-90)), "-1m30s");
  EXPECT_EQ(FormatDuration(Duration::min()), "-106751d23h47m16s854ms775us808ns");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  const std::vector<Duration> values = {Duration::zero(),  nanoseconds(1),
                                        microseconds(999), milliseconds(1001),
                                        minutes(61),       kDay * 400 + nanoseconds(7),
                                        Duration::max()};
  for (Duration d : values) {
    Result<Duration> back = ParseDuration(FormatDuration(d), "d");
    ASSERT_TRUE(back.ok()) << FormatDuration(d);
    EXPECT_EQ(back->count(), d.count()) << FormatDuration(d);
  }
}

struct GoodTime {
  const char* text;
  TimePoint want;
};

TEST(ParseTime, AcceptsRfc3339WithOffsets) {
  const std::vector<GoodTime> cases = {
      {"2026-03-08T02:30:00-05:00", Utc(2026, 3, 8, 7, 30)},
      {"2026-03-08T07:30:00Z", Utc(2026, 3, 8, 7, 30)},
      {"2026-03-08t07:30:00z", Utc(2026, 3, 8, 7, 30)},
      {"2026-11-29T09:00:00+01:00", Utc(2026, 11, 29, 8)},
      {"2026-01-01T00:30:00+05:45", Utc(2025, 12, 31, 18, 45)},
      {"2026-03-08T07:30:00-00:00", Utc(2026, 3, 8, 7, 30)},
      {"2026-03-08T07:30:00.5Z", Utc(2026, 3, 8, 7, 30) + milliseconds(500)},
      {"2026-03-08T07:30:00.000000001Z", Utc(2026, 3, 8, 7, 30) + nanoseconds(1)},
      {"2026-03-08T07:30:00.123456789+02:00", Utc(2026, 3, 8, 5, 30) + nanoseconds(123456789)},
      {"2024-02-29T23:59:59Z", Utc(2024, 2, 29, 23, 59, 59)},
      {"1970-01-01T00:00:00Z", TimePoint{}},
      {"1969-12-31T23:59:59.75Z", TimePoint{} - milliseconds(250)},
      {"1678-01-01T00:00:00Z", Utc(1678, 1, 1)},
      {"1678-01-01T23:59:00+23:59", Utc(1678, 1, 1)},
      {"2261-12-31T23:59:59.999999999Z", Utc(2261, 12, 31, 23, 59, 59) + nanoseconds(999999999)},
      {"2261-12-31T23:59:59+12:00", Utc(2261, 12, 31, 11, 59, 59)},
  };
  for (const GoodTime& c : cases) {
    SCOPED_TRACE(c.text);
    Result<TimePoint> t = ParseTime(c.text, "run_at");
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(taskly::testutil::Show(*t), taskly::testutil::Show(c.want));
  }
}

struct BadTime {
  const char* text;
  const char* message_part;
};

TEST(ParseTime, RefusesNonRfc3339NamingTheField) {
  const std::vector<BadTime> cases = {
      {"2026-03-08 02:30", "is not an RFC 3339 time"},
      {"2026-03-08 02:30:00Z", "is not an RFC 3339 time"},
      {"2026-03-08T02:30:00", "has no UTC offset"},
      {"2026-03-08T02:30:00.5", "has no UTC offset"},
      {"2026-03-08T02:30", "is not an RFC 3339 time"},
      {"2026-03-08", "is not an RFC 3339 time"},
      {"2026-3-8T02:30:00Z", "is not an RFC 3339 time"},
      {"2026-03-08T2:30:00Z", "is not an RFC 3339 time"},
      {"2026-03-08T02:30:00+0500", "is not an RFC 3339 time"},
      {"2026-03-08T02:30:00+05", "is not an RFC 3339 time"},
      {"2026-03-08T02:30:00+24:00", "is not an RFC 3339 time"},
      {"2026-03-08T02:30:00+05:60", "is not an RFC 3339 time"},
      {"2026-03-08T02:30:00.Z", "is not an RFC 3339 time"},
      {"2026-03-08T02:30:00.1234567890Z", "is not an RFC 3339 time"},
      {"2026-03-08T02:30:00ZZ", "is not an RFC 3339 time"},
      {" 2026-03-08T02:30:00Z", "is not an RFC 3339 time"},
      {"1772937000", "is not an RFC 3339 time"},
      {"", "is not an RFC 3339 time"},
      {"2026-02-30T00:00:00Z", "not a valid date and time"},
      {"2026-13-01T00:00:00Z", "not a valid date and time"},
      {"2026-03-08T24:00:00Z", "not a valid date and time"},
      {"2026-03-08T23:60:00Z", "not a valid date and time"},
      {"2026-03-08T23:59:60Z", "not a valid date and time"},
      {"1677-12-31T23:59:59Z", "out of range (years 1678 to 2261 in UTC)"},
      {"2262-01-01T00:00:00Z", "out of range"},
      // In range as written, not in UTC (FormatTime would write 2262 or 1677).
      {"2261-12-31T23:59:59.999999999-23:59", "out of range (years 1678 to 2261 in UTC)"},
      {"2261-12-31T23:30:00-00:30", "out of range"},
      {"1678-01-01T00:00:00+00:01", "out of range"},
      {"9999-12-31T23:59:59Z", "out of range"},
  };
  for (const BadTime& c : cases) {
    SCOPED_TRACE(c.text);
    Result<TimePoint> t = ParseTime(c.text, "tasks[0].deadline");
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(t.status().field(), "tasks[0].deadline");
    EXPECT_THAT(t.status().message(), HasSubstr(c.message_part));
  }
}

// Whatever ParseTime accepts, FormatTime writes in a form ParseTime accepts again.
TEST(ParseTime, EveryAcceptedTimeRoundTripsThroughFormat) {
  for (const char* text : {"2261-12-31T23:59:59.999999999-00:01", "2261-12-31T12:00:00-12:00",
                           "1678-01-01T00:00:00Z", "1678-01-01T12:00:00+12:00"}) {
    SCOPED_TRACE(text);
    Result<TimePoint> t = ParseTime(text, "deadline");
    if (!t.ok()) continue;
    Result<TimePoint> back = ParseTime(FormatTime(*t), "deadline");
    ASSERT_TRUE(back.ok()) << FormatTime(*t) << ": " << back.status().ToString();
    EXPECT_EQ(back->time_since_epoch().count(), t->time_since_epoch().count());
  }
}

TEST(ParseTime, RefusesHugeInputWithoutScanningIt) {
  Result<TimePoint> t = ParseTime(std::string(1 << 20, '9'), "once");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().field(), "once");
}

TEST(FormatTime, UtcWithZAndShortestFraction) {
  EXPECT_EQ(FormatTime(Utc(2026, 3, 8, 7, 30)), "2026-03-08T07:30:00Z");
  EXPECT_EQ(FormatTime(Utc(2026, 3, 8, 7, 30) + milliseconds(500)), "2026-03-08T07:30:00.5Z");
  EXPECT_EQ(FormatTime(Utc(2026, 3, 8, 7, 30) + microseconds(120)), "2026-03-08T07:30:00.00012Z");
  EXPECT_EQ(FormatTime(Utc(2026, 3, 8, 7, 30) + nanoseconds(123456789)),
            "2026-03-08T07:30:00.123456789Z");
  EXPECT_EQ(FormatTime(TimePoint{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTime(TimePoint{} - nanoseconds(1)), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatTime(TimePoint::max()), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(FormatTime(TimePoint::min()), "1677-09-21T00:12:43.145224192Z");
}

TEST(FormatTime, RoundTripsThroughParse) {
  const std::vector<TimePoint> values = {
      TimePoint{},
      Utc(2026, 3, 8, 7, 30) + nanoseconds(1),
      Utc(2026, 10, 25, 1, 30) + milliseconds(999),
      TimePoint{} - nanoseconds(123),
      Utc(1678, 1, 1),
      Utc(2261, 12, 31, 23, 59, 59) + nanoseconds(999999999),
  };
  for (TimePoint t : values) {
    Result<TimePoint> back = ParseTime(FormatTime(t), "t");
    ASSERT_TRUE(back.ok()) << FormatTime(t) << ": " << back.status().ToString();
    EXPECT_EQ(back->time_since_epoch().count(), t.time_since_epoch().count()) << FormatTime(t);
  }
}

}  // namespace
}  // namespace taskly::codec
