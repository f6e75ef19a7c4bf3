// Cron parsing, parse errors and the next-time search in UTC (time zones and DST are in
// cron_dst_test.cc). next() is pure, so no clock is needed.
#include "taskly/cron.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "time/cron_parse.h"
#include "time/time_test_util.h"

namespace taskly {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

using testutil::Show;
using testutil::Utc;

// The first `n` fire times after `from`, by chaining next().
std::vector<std::string> Firings(const CronSchedule& c, TimePoint from, std::size_t n) {
  std::vector<std::string> out;
  for (TimePoint t = from; out.size() < n;) {
    std::optional<TimePoint> fire = c.next(t);
    if (!fire) {
      out.push_back("never");
      break;
    }
    out.push_back(Show(*fire));
    t = *fire;
  }
  return out;
}

const TimePoint kNewYear = Utc(2026, 1, 1);  // a Thursday

struct NextCase {
  const char* expr;
  TimePoint from;
  std::vector<TimePoint> want;
};

// Weekdays used below: 2026-01-01 Thu, 01-02 Fri, 01-04 Sun, 01-05 Mon, 01-13 Tue, 02-01 Sun,
// 02-02 Mon, 05-11 Mon, 06-01 Mon; 2027-02-01 Mon; 2032-02-29 and 2060-02-29 Sun.
const std::vector<NextCase>& Corpus() {
  static const std::vector<NextCase> corpus = {
      // Plain values, `*`, strictly-after.
      {"* * * * *", kNewYear, {Utc(2026, 1, 1, 0, 1), Utc(2026, 1, 1, 0, 2)}},
      {"5 * * * *", kNewYear, {Utc(2026, 1, 1, 0, 5), Utc(2026, 1, 1, 1, 5)}},
      {"0 12 * * *", kNewYear, {Utc(2026, 1, 1, 12), Utc(2026, 1, 2, 12)}},
      {"0 12 * * *", Utc(2026, 1, 1, 12), {Utc(2026, 1, 2, 12)}},  // a match is not "after"
      {"0 12 * * *", Utc(2026, 1, 1, 11, 59, 59) + milliseconds{999}, {Utc(2026, 1, 1, 12)}},
      {"0 0 1 1 *", kNewYear, {Utc(2027, 1, 1), Utc(2028, 1, 1)}},
      {"59 23 31 12 *", kNewYear, {Utc(2026, 12, 31, 23, 59), Utc(2027, 12, 31, 23, 59)}},
      {"  0   12 * *\t*  ", kNewYear, {Utc(2026, 1, 1, 12)}},  // any blanks between fields
      // Steps: `*/n`, `a-b/n`, `a/n` (a to max).
      {"*/15 * * * *",
       kNewYear,
       {Utc(2026, 1, 1, 0, 15), Utc(2026, 1, 1, 0, 30), Utc(2026, 1, 1, 0, 45),
        Utc(2026, 1, 1, 1, 0)}},
      {"0 8-18/4 * * *",
       kNewYear,
       {Utc(2026, 1, 1, 8), Utc(2026, 1, 1, 12), Utc(2026, 1, 1, 16), Utc(2026, 1, 2, 8)}},
      {"10/20 * * * *",
       kNewYear,
       {Utc(2026, 1, 1, 0, 10), Utc(2026, 1, 1, 0, 30), Utc(2026, 1, 1, 0, 50),
        Utc(2026, 1, 1, 1, 10)}},
      {"0 0 1 */3 *",
       kNewYear,
       {Utc(2026, 4, 1), Utc(2026, 7, 1), Utc(2026, 10, 1), Utc(2027, 1, 1)}},
      {"0 0 1 2/5 *", kNewYear, {Utc(2026, 2, 1), Utc(2026, 7, 1), Utc(2026, 12, 1)}},
      {"0 0 */2 * *", Utc(2026, 1, 30), {Utc(2026, 1, 31), Utc(2026, 2, 1), Utc(2026, 2, 3)}},
      {"*/60 * * * *", kNewYear, {Utc(2026, 1, 1, 1), Utc(2026, 1, 1, 2)}},  // step = width
      // Lists, and lists of ranges.
      {"0,20,40 * * * *",
       kNewYear,
       {Utc(2026, 1, 1, 0, 20), Utc(2026, 1, 1, 0, 40), Utc(2026, 1, 1, 1)}},
      {"1-3,58 * * * *",
       kNewYear,
       {Utc(2026, 1, 1, 0, 1), Utc(2026, 1, 1, 0, 2), Utc(2026, 1, 1, 0, 3), Utc(2026, 1, 1, 0, 58),
        Utc(2026, 1, 1, 1, 1)}},
      {"0 0 1 jan,Jul *", kNewYear, {Utc(2026, 7, 1), Utc(2027, 1, 1)}},
      // Days of week: numbers, 7 = Sunday, names in any case, ranges.
      {"30 8 * * 1-5",
       kNewYear,
       {Utc(2026, 1, 1, 8, 30), Utc(2026, 1, 2, 8, 30), Utc(2026, 1, 5, 8, 30)}},
      {"0 9 * * MON-FRI", kNewYear, {Utc(2026, 1, 1, 9), Utc(2026, 1, 2, 9), Utc(2026, 1, 5, 9)}},
      {"0 0 * * SUN", kNewYear, {Utc(2026, 1, 4), Utc(2026, 1, 11)}},
      {"0 0 * * 7", kNewYear, {Utc(2026, 1, 4), Utc(2026, 1, 11)}},
      {"0 0 * * 0,7", kNewYear, {Utc(2026, 1, 4), Utc(2026, 1, 11)}},
      {"0 0 * * mon", kNewYear, {Utc(2026, 1, 5), Utc(2026, 1, 12)}},
      {"0 0 * * 5-7",
       kNewYear,
       {Utc(2026, 1, 2), Utc(2026, 1, 3), Utc(2026, 1, 4), Utc(2026, 1, 9)}},
      // Day-of-month / day-of-week: OR when both are restricted ...
      {"0 0 13 * 5",
       kNewYear,
       {Utc(2026, 1, 2), Utc(2026, 1, 9), Utc(2026, 1, 13), Utc(2026, 1, 16)}},
      {"0 0 1 * MON", Utc(2026, 1, 26), {Utc(2026, 2, 1), Utc(2026, 2, 2), Utc(2026, 2, 9)}},
      {"0 0 30 2 MON", kNewYear, {Utc(2026, 2, 2), Utc(2026, 2, 9)}},  // Feb 30 never, Mondays do
      // ... and AND when either begins with `*` (even `*/n`).
      {"0 0 * 2 MON",
       kNewYear,
       {Utc(2026, 2, 2), Utc(2026, 2, 9), Utc(2026, 2, 16), Utc(2026, 2, 23), Utc(2027, 2, 1)}},
      {"0 0 */10 * 1", kNewYear, {Utc(2026, 5, 11), Utc(2026, 6, 1)}},   // days 1,11,21,31 on Mon
      {"0 0 29 2 */7", kNewYear, {Utc(2032, 2, 29), Utc(2060, 2, 29)}},  // Feb 29 on a Sunday
      // Month ends and leap days.
      {"0 0 31 * *",
       kNewYear,
       {Utc(2026, 1, 31), Utc(2026, 3, 31), Utc(2026, 5, 31), Utc(2026, 7, 31), Utc(2026, 8, 31),
        Utc(2026, 10, 31)}},
      {"0 0 30 * *", Utc(2026, 2, 1), {Utc(2026, 3, 30), Utc(2026, 4, 30)}},
      {"0 0 29 * *", Utc(2026, 2, 1), {Utc(2026, 3, 29)}},  // 2026 is not a leap year
      {"0 0 29 2 *", kNewYear, {Utc(2028, 2, 29), Utc(2032, 2, 29)}},
      {"0 0 29 2 *", Utc(2096, 3, 1), {Utc(2104, 2, 29)}},  // 2100 is not a leap year
      {"0 0 31 4,6,9,11,12 *", kNewYear, {Utc(2026, 12, 31), Utc(2027, 12, 31)}},
      // Seconds (6 fields).
      {"*/20 * * * * *",
       kNewYear,
       {Utc(2026, 1, 1, 0, 0, 20), Utc(2026, 1, 1, 0, 0, 40), Utc(2026, 1, 1, 0, 1)}},
      {"15,45 * * * * *",
       kNewYear,
       {Utc(2026, 1, 1, 0, 0, 15), Utc(2026, 1, 1, 0, 0, 45), Utc(2026, 1, 1, 0, 1, 15)}},
      {"30 0 0 * * *", kNewYear, {Utc(2026, 1, 1, 0, 0, 30), Utc(2026, 1, 2, 0, 0, 30)}},
      {"0 0 0 1 1 *", kNewYear, {Utc(2027, 1, 1)}},
      {"* * * * * *",
       kNewYear + milliseconds{500},
       {Utc(2026, 1, 1, 0, 0, 1), Utc(2026, 1, 1, 0, 0, 2)}},
      {"59 59 23 31 12 *", kNewYear, {Utc(2026, 12, 31, 23, 59, 59)}},
      // Macros.
      {"@yearly", kNewYear, {Utc(2027, 1, 1), Utc(2028, 1, 1)}},
      {"@annually", kNewYear, {Utc(2027, 1, 1)}},
      {"@monthly", kNewYear, {Utc(2026, 2, 1), Utc(2026, 3, 1)}},
      {"@weekly", kNewYear, {Utc(2026, 1, 4), Utc(2026, 1, 11)}},
      {"@daily", kNewYear, {Utc(2026, 1, 2), Utc(2026, 1, 3)}},
      {"@midnight", kNewYear, {Utc(2026, 1, 2)}},
      {"@hourly", kNewYear, {Utc(2026, 1, 1, 1), Utc(2026, 1, 1, 2)}},
      {"@Hourly", kNewYear, {Utc(2026, 1, 1, 1)}},
  };
  return corpus;
}

void PrintTo(const NextCase& c, std::ostream* os) {
  *os << '"' << c.expr << "\" from " << Show(c.from);
}

class CronNextTest : public testing::TestWithParam<NextCase> {};

TEST_P(CronNextTest, FiresAtExpectedInstants) {
  const NextCase& c = GetParam();
  Result<CronSchedule> cron = CronSchedule::Parse(c.expr);
  ASSERT_TRUE(cron.ok()) << c.expr << ": " << cron.status().ToString();
  EXPECT_EQ(Firings(*cron, c.from, c.want.size()), Show(c.want))
      << c.expr << " from " << Show(c.from);
}

INSTANTIATE_TEST_SUITE_P(CronCorpus, CronNextTest, testing::ValuesIn(Corpus()));

TEST(CronCorpusTest, IsLargeEnough) { EXPECT_GE(Corpus().size(), 40u); }

struct ErrorCase {
  const char* expr;
  const char* field;
  const char* message_part;
};

const std::vector<ErrorCase>& Errors() {
  static const std::vector<ErrorCase> errors = {
      {"", "cron", "empty expression"},
      {" \t ", "cron", "empty expression"},
      {"* * * *", "cron", "expected 5 or 6 fields, got 4"},
      {"* * * * * * *", "cron", "expected 5 or 6 fields, got 7"},
      {"@reboot", "cron", "unknown macro \"@reboot\""},
      {"@daily 5", "cron", "unknown macro"},
      {"61 * * * *", "cron.minute", "value 61 out of range 0-59 in \"61\""},
      {"0 24 * * *", "cron.hour", "value 24 out of range 0-23 in \"24\""},
      {"0 0 0 * *", "cron.day_of_month", "value 0 out of range 1-31"},
      {"0 0 32 * *", "cron.day_of_month", "value 32 out of range 1-31"},
      {"0 0 * 13 *", "cron.month", "value 13 out of range 1-12 or JAN-DEC"},
      {"0 0 * 0 *", "cron.month", "value 0 out of range"},
      {"0 0 * * 8", "cron.day_of_week", "value 8 out of range 0-7 or SUN-SAT"},
      {"60 * * * * *", "cron.second", "value 60 out of range 0-59"},
      {"99999999999 * * * *", "cron.minute", "value 99999999999 out of range"},
      {"5-2 * * * *", "cron.minute", "range 5-2 is reversed in \"5-2\""},
      {"0 0 * * FRI-SUN", "cron.day_of_week", "range FRI-SUN is reversed"},
      {"*/0 * * * *", "cron.minute", "step 0 out of range 1-60 in \"*/0\""},
      {"*/61 * * * *", "cron.minute", "step 61 out of range 1-60"},
      {"0 0 1-10/0 * *", "cron.day_of_month", "step 0 out of range 1-31"},
      {"*/ * * * *", "cron.minute", "invalid step \"\""},
      {"*/5/2 * * * *", "cron.minute", "invalid step \"5/2\""},
      {"1,,2 * * * *", "cron.minute", "empty list item in \"1,,2\""},
      {",1 * * * *", "cron.minute", "empty list item"},
      {"1, * * * *", "cron.minute", "empty list item"},
      {"1x * * * *", "cron.minute", "invalid value \"1x\" in \"1x\", expected 0-59"},
      {"** * * * *", "cron.minute", "invalid value \"**\""},
      {"*-5 * * * *", "cron.minute", "invalid value \"*\" in \"*-5\""},
      {"1-2-3 * * * *", "cron.minute", "invalid value \"2-3\""},
      {"-5 * * * *", "cron.minute", "missing value in \"-5\""},
      {"/5 * * * *", "cron.minute", "missing value in \"/5\""},
      {"0 0 * * MON-", "cron.day_of_week", "missing value in \"MON-\""},
      {"MON * * * *", "cron.minute", "invalid value \"MON\""},
      {"0 0 * * JAN", "cron.day_of_week", "invalid value \"JAN\""},
      {"0 0 * FOO *", "cron.month", "invalid value \"FOO\""},
      {"0 0 * MONDAY *", "cron.month", "invalid value \"MONDAY\""},
      {"0 0 30 2 *", "cron", "never fires"},
      {"0 0 30,31 2 *", "cron", "never fires"},
      {"0 0 31 4,6,9,11 *", "cron", "never fires"},
      {"0 0 31 2 */2", "cron", "never fires"},  // `*/2` makes it AND: no Feb 31 to match
  };
  return errors;
}

void PrintTo(const ErrorCase& e, std::ostream* os) { *os << '"' << e.expr << '"'; }

class CronErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(CronErrorTest, RejectedNamingTheField) {
  const ErrorCase& e = GetParam();
  Result<CronSchedule> cron = CronSchedule::Parse(e.expr);
  ASSERT_FALSE(cron.ok()) << '"' << e.expr << "\" was accepted";
  EXPECT_EQ(cron.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cron.status().field(), e.field) << e.expr;
  EXPECT_NE(cron.status().message().find(e.message_part), std::string::npos)
      << e.expr << ": got \"" << cron.status().message() << "\", want it to contain \""
      << e.message_part << '"';
}

INSTANTIATE_TEST_SUITE_P(CronErrors, CronErrorTest, testing::ValuesIn(Errors()));

TEST(CronParseTest, ExactMessageForOutOfRange) {
  Result<CronSchedule> cron = CronSchedule::Parse("0,61 * * * *");
  ASSERT_FALSE(cron.ok());
  EXPECT_EQ(cron.status().ToString(),
            "invalid_argument: cron.minute: value 61 out of range 0-59 in \"61\"");
}

TEST(CronParseTest, UnknownTimeZoneNamesTz) {
  for (const char* tz : {"Mars/Olympus_Mons", "", "new york"}) {
    Result<CronSchedule> cron = CronSchedule::Parse("* * * * *", tz);
    ASSERT_FALSE(cron.ok()) << tz;
    EXPECT_EQ(cron.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(cron.status().field(), "tz");
    EXPECT_NE(cron.status().message().find(tz), std::string::npos);
  }
}

// A zone is named, never given as a path or in Abseil's own spellings, and the database's
// posix/ and right/ copies and non-zones are not zones.
TEST(CronParseTest, ZoneNamesOnly) {
  for (const char* tz :
       {"/usr/share/zoneinfo/UTC", "../zoneinfo/UTC", "./UTC", "Europe/../UTC", "Europe//Berlin",
        "Europe/Berlin/", "file:UTC", "Fixed/UTC+01:00:00", "posix/Europe/Berlin", "posixrules",
        "Factory", "Europe", "utc", "CET-1CEST,M3.5.0,M10.5.0/3"}) {
    Result<CronSchedule> cron = CronSchedule::Parse("* * * * *", tz);
    ASSERT_FALSE(cron.ok()) << tz;
    EXPECT_EQ(cron.status().field(), "tz") << tz;
  }
  for (const char* tz : {"UTC", "Etc/UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires",
                         "Etc/GMT-14", "EST5EDT"}) {
    EXPECT_TRUE(CronSchedule::Parse("* * * * *", tz).ok()) << tz;
  }
}

TEST(CronParseTest, KeepsExpressionAndZone) {
  Result<CronSchedule> cron = CronSchedule::Parse("@daily", "Europe/Berlin");
  ASSERT_TRUE(cron.ok());
  EXPECT_EQ(cron->expression(), "@daily");
  EXPECT_EQ(cron->time_zone(), "Europe/Berlin");
  EXPECT_EQ(CronSchedule::Parse("* * * * *")->time_zone(), "UTC");
}

TEST(CronParseTest, WildcardIsMinuteOrHourStartingWithStar) {
  struct {
    const char* expr;
    bool wildcard;
  } cases[] = {
      {"*/15 * * * *", true},
      {"0 * * * *", true},
      {"@hourly", true},
      {"0 */2 * * *", true},
      {"* 2 * * *", true},
      {"30 2 * * *", false},
      {"0-59/15 2 * * *", false},
      {"@daily", false},
      // Six fields: the seconds field does not count.
      {"* 30 2 * * *", false},
      {"0 */5 2 * * *", true},
      {"0 0 * * * *", true},
      {"0 0 2 * * *", false},
  };
  for (const auto& c : cases) {
    Result<CronSchedule> cron = CronSchedule::Parse(c.expr);
    ASSERT_TRUE(cron.ok()) << c.expr;
    EXPECT_EQ(cron->wildcard(), c.wildcard) << c.expr;
  }
}

TEST(CronParseTest, CopiesShareTheSchedule) {
  CronSchedule a = *CronSchedule::Parse("@hourly");
  CronSchedule b = a;
  CronSchedule c = std::move(a);
  EXPECT_EQ(b.next(kNewYear), c.next(kNewYear));
  EXPECT_EQ(b.expression(), "@hourly");
}

TEST(CronNextEdgeTest, LimitsOfTimePoint) {
  CronSchedule cron = *CronSchedule::Parse("* * * * *");
  EXPECT_FALSE(cron.next(TimePoint::max()).has_value());
  // Near the end of TimePoint's range (year 2262) nothing later fits: nullopt, no overflow.
  EXPECT_FALSE(CronSchedule::Parse("0 0 1 1 *")->next(Utc(2262, 1, 2)).has_value());
  std::optional<TimePoint> early = cron.next(TimePoint::min());
  ASSERT_TRUE(early.has_value());
  EXPECT_GT(*early, TimePoint::min());
  EXPECT_LE(*early - TimePoint::min(), minutes{1});
}

// Brute force: for masks parsed from expressions, scanning every minute one by one must find
// exactly the instants next() jumps to. Checks the day/hour/minute search against the simplest
// possible search, over two months that include a month end and February.
bool MatchesMinute(const CronFields& f, std::chrono::sys_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss<seconds> hms(t - day);
  auto has = [](uint64_t mask, unsigned bit) { return ((mask >> bit) & 1) != 0; };
  const bool dom = has(f.days_of_month, static_cast<unsigned>(ymd.day()));
  const bool dow = has(f.days_of_week, std::chrono::weekday(day).c_encoding());
  const bool day_ok = (f.dom_star || f.dow_star) ? dom && dow : dom || dow;
  return day_ok && has(f.months, static_cast<unsigned>(ymd.month())) &&
         has(f.hours, static_cast<unsigned>(hms.hours().count())) &&
         has(f.minutes, static_cast<unsigned>(hms.minutes().count())) &&
         has(f.seconds, static_cast<unsigned>(hms.seconds().count()));
}

TEST(CronNextBruteForceTest, AgreesWithMinuteByMinuteScan) {
  const char* exprs[] = {"*/7 */5 * * *", "59 23 * * *",       "0 0 28-31 * *", "13 3,17 * 2 2-4",
                         "0 12 15 * FRI", "*/20 9-17 * * 1-5", "0 0 * * 0",     "45 1 29 * *"};
  const TimePoint start = Utc(2026, 1, 20, 7, 3);
  const TimePoint end = Utc(2026, 3, 20);
  for (const char* expr : exprs) {
    const CronFields fields = *ParseCronFields(expr);
    const CronSchedule cron = *CronSchedule::Parse(expr);
    std::optional<TimePoint> fire = cron.next(start);
    for (std::chrono::sys_seconds t = std::chrono::floor<minutes>(start) + minutes{1}; t < end;
         t += minutes{1}) {
      if (!MatchesMinute(fields, t)) continue;
      ASSERT_TRUE(fire.has_value()) << expr;
      ASSERT_EQ(Show(*fire), Show(t)) << expr;
      fire = cron.next(*fire);
    }
  }
}

}  // namespace
}  // namespace taskly

namespace taskly {
namespace {

TEST(CronMinGapTest, IsTheSmallestWallClockGapBetweenFires) {
  struct Case {
    const char* expr;
    Duration gap;
  };
  const Case cases[] = {
      {"* * * * * *", std::chrono::seconds(1)},     {"*/10 * * * * *", std::chrono::seconds(10)},
      {"0,59 0 * * * *", std::chrono::seconds(59)},  // 59 s within the minute, then an hour
      {"50-55 * * * * *", std::chrono::seconds(1)}, {"0,30 * * * * *", std::chrono::seconds(30)},
      {"* * * * *", std::chrono::minutes(1)},       {"*/15 * * * *", std::chrono::minutes(15)},
      {"0,50 * * * *", std::chrono::minutes(10)},  // 50 -> next hour's 0
      {"30 2 * * *", std::chrono::hours(24)},       {"0 9,17 * * *", std::chrono::hours(8)},
      {"@hourly", std::chrono::hours(1)},           {"@monthly", std::chrono::hours(24)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expr);
    Result<CronSchedule> cron = CronSchedule::Parse(c.expr);
    ASSERT_TRUE(cron.ok()) << cron.status().ToString();
    EXPECT_EQ(cron->min_gap(), c.gap);
  }
  // Every gap between consecutive fires over two days is at least min_gap, and one equals it.
  for (const char* expr : {"0,59 0 * * * *", "0,50 * * * *", "0 9,17 * * *", "7,8 */3 * * *"}) {
    SCOPED_TRACE(expr);
    CronSchedule cron = *CronSchedule::Parse(expr);
    Duration smallest = Duration::max();
    TimePoint t = *cron.next(Utc(2026, 1, 1));
    while (t < Utc(2026, 1, 3)) {
      TimePoint next = *cron.next(t);
      smallest = std::min(smallest, next - t);
      t = next;
    }
    EXPECT_EQ(smallest, cron.min_gap());
  }
}

}  // namespace
}  // namespace taskly
