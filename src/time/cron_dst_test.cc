// Cron in IANA time zones across DST changes (cron(8)'s rule):
// wildcard expressions follow the wall clock (skipped times never fire, repeated times fire in
// both passes); fixed-time expressions fire once at the jump for a skipped time and only on the
// first pass of a repeated time. Every expected instant is written in UTC, with the local
// reading it stands for in the comment.
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "taskly/cron.h"
#include "time/time_test_util.h"

namespace taskly {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

using testutil::Show;
using testutil::Utc;

std::vector<TimePoint> Firings(const CronSchedule& c, TimePoint from, std::size_t n) {
  std::vector<TimePoint> out;
  for (TimePoint t = from; out.size() < n;) {
    std::optional<TimePoint> fire = c.next(t);
    if (!fire) break;
    out.push_back(*fire);
    t = *fire;
  }
  return out;
}

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

// The wall-clock reading of `t` in `zone`, e.g. "2026-11-01 01:30 EST".
std::string Local(TimePoint t, const char* zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M %Z", absl::FromChrono(t), Zone(zone));
}

// The 2026 transitions the cases below rely on, read from the tz database rather than assumed:
// if the system's tzdata disagrees, this test says so before the behaviour tests do.
TEST(CronDstTest, TransitionsIn2026AreWhereTheCasesAssume) {
  struct {
    const char* zone;
    TimePoint probe;       // an instant a little before the transition
    TimePoint transition;  // the UTC instant the offset changes
    minutes before;
    minutes after;
  } cases[] = {
      // US: second Sunday of March 02:00 EST -> 03:00 EDT; first Sunday of November 02:00 EDT
      // -> 01:00 EST.
      {"America/New_York", Utc(2026, 3, 1), Utc(2026, 3, 8, 7), hours{-5}, hours{-4}},
      {"America/New_York", Utc(2026, 10, 25), Utc(2026, 11, 1, 6), hours{-4}, hours{-5}},
      // EU: last Sunday of March / October at 01:00 UTC.
      {"Europe/Berlin", Utc(2026, 3, 22), Utc(2026, 3, 29, 1), hours{1}, hours{2}},
      {"Europe/Berlin", Utc(2026, 10, 18), Utc(2026, 10, 25, 1), hours{2}, hours{1}},
      // Lord Howe: first Sunday of April (2026-04-05) 02:00 +11 -> 01:30 +10:30, which is
      // 15:00 UTC the day before; first Sunday of October (2026-10-04) 02:00 +10:30 -> 02:30
      // +11, which is 15:30 UTC the day before.
      {"Australia/Lord_Howe", Utc(2026, 3, 29), Utc(2026, 4, 4, 15), minutes{660}, minutes{630}},
      {"Australia/Lord_Howe", Utc(2026, 9, 27), Utc(2026, 10, 3, 15, 30), minutes{630},
       minutes{660}},
  };
  for (const auto& c : cases) {
    const absl::TimeZone zone = Zone(c.zone);
    absl::TimeZone::CivilTransition next;
    ASSERT_TRUE(zone.NextTransition(absl::FromChrono(c.probe), &next)) << c.zone;
    const absl::Time transition = zone.At(next.to).trans;
    EXPECT_EQ(Show(std::chrono::time_point_cast<Duration>(absl::ToChronoTime(transition))),
              Show(c.transition))
        << c.zone;
    EXPECT_EQ(seconds{zone.At(absl::FromChrono(c.probe)).offset}, c.before) << c.zone;
    EXPECT_EQ(seconds{zone.At(transition).offset}, c.after) << c.zone;
  }
}

struct DstCase {
  const char* name;
  const char* zone;
  const char* expr;
  TimePoint from;
  std::vector<TimePoint> want;
};

const std::vector<DstCase>& Cases() {
  static const std::vector<DstCase> cases = {
      // --- UTC baseline: no offset changes, so the US spring-forward day is an ordinary day.
      {"UtcBaselineEvery15",
       "UTC",
       "*/15 * * * *",
       Utc(2026, 3, 8, 6, 30),
       {Utc(2026, 3, 8, 6, 45), Utc(2026, 3, 8, 7), Utc(2026, 3, 8, 7, 15)}},
      {"UtcBaselineFixed",
       "UTC",
       "30 2 * * *",
       Utc(2026, 3, 7, 12),
       {Utc(2026, 3, 8, 2, 30), Utc(2026, 3, 9, 2, 30)}},

      // --- America/New_York, spring forward 2026-03-08: 02:00 EST (07:00Z) -> 03:00 EDT.
      // Wildcard: 01:15, 01:30, 01:45 EST; 02:00-02:45 do not exist; 03:00, 03:15 EDT. Real
      // spacing stays 15 minutes because 01:45 EST (06:45Z) and 03:00 EDT (07:00Z) are 15 apart.
      {"NewYorkSpringWildcardEvery15",
       "America/New_York",
       "*/15 * * * *",
       Utc(2026, 3, 8, 6),
       {Utc(2026, 3, 8, 6, 15), Utc(2026, 3, 8, 6, 30), Utc(2026, 3, 8, 6, 45), Utc(2026, 3, 8, 7),
        Utc(2026, 3, 8, 7, 15)}},
      // Wildcard hour: 01:30 EST (06:30Z), 02:30 skipped, 03:30 EDT (07:30Z).
      {"NewYorkSpringWildcardHour",
       "America/New_York",
       "30 * * * *",
       Utc(2026, 3, 8, 6),
       {Utc(2026, 3, 8, 6, 30), Utc(2026, 3, 8, 7, 30)}},
      // Wildcard minute in the skipped hour: nothing on 03-08; next is 03-09 02:00 EDT (06:00Z).
      {"NewYorkSpringWildcardInGapNeverFires",
       "America/New_York",
       "* 2 * * *",
       Utc(2026, 3, 8, 5),
       {Utc(2026, 3, 9, 6), Utc(2026, 3, 9, 6, 1)}},
      // @hourly is wildcard: 01:00 EST is before `from`; 02:00 skipped; 03:00 EDT = 07:00Z.
      {"NewYorkSpringHourly",
       "America/New_York",
       "@hourly",
       Utc(2026, 3, 8, 6, 30),
       {Utc(2026, 3, 8, 7), Utc(2026, 3, 8, 8)}},
      // Fixed: 03-07 02:30 EST = 07:30Z; 03-08 02:30 does not exist -> fires at the jump, 07:00Z
      // (03:00 EDT); 03-09 02:30 EDT = 06:30Z.
      {"NewYorkSpringFixedInGapFiresAtJump",
       "America/New_York",
       "30 2 * * *",
       Utc(2026, 3, 7),
       {Utc(2026, 3, 7, 7, 30), Utc(2026, 3, 8, 7), Utc(2026, 3, 9, 6, 30)}},
      // Two matching wall times in one gap still fire once, at 07:00Z.
      {"NewYorkSpringFixedTwoInGapFireOnce",
       "America/New_York",
       "0,30 2 * * *",
       Utc(2026, 3, 8),
       {Utc(2026, 3, 8, 7), Utc(2026, 3, 9, 6), Utc(2026, 3, 9, 6, 30)}},
      // 02:00 and 02:30 (skipped) and 03:00 EDT all land on 07:00Z: one firing; then 03:30 EDT.
      {"NewYorkSpringFixedGapAndJumpTimeFireOnce",
       "America/New_York",
       "0,30 2-3 * * *",
       Utc(2026, 3, 8, 5),
       {Utc(2026, 3, 8, 7), Utc(2026, 3, 8, 7, 30), Utc(2026, 3, 9, 6)}},
      // Seconds do not make an expression wildcard: minute 0 hour 2 is fixed, so the skipped
      // 02:00:00 and 02:00:30 fire once at the jump; 03-09 02:00:00 EDT = 06:00:00Z.
      {"NewYorkSpringSixFieldFixed",
       "America/New_York",
       "*/30 0 2 * * *",
       Utc(2026, 3, 8),
       {Utc(2026, 3, 8, 7), Utc(2026, 3, 9, 6), Utc(2026, 3, 9, 6, 0, 30)}},

      // --- America/New_York, fall back 2026-11-01: 02:00 EDT (06:00Z) -> 01:00 EST, so
      // 01:00-01:59 is read twice: EDT 05:00-05:59Z, then EST 06:00-06:59Z.
      // Wildcard: all 8 quarter hours of the repeated hour fire, spanning 2 real hours.
      {"NewYorkFallWildcardEvery15",
       "America/New_York",
       "*/15 * * * *",
       Utc(2026, 11, 1, 4, 45),
       {Utc(2026, 11, 1, 5), Utc(2026, 11, 1, 5, 15), Utc(2026, 11, 1, 5, 30),
        Utc(2026, 11, 1, 5, 45), Utc(2026, 11, 1, 6), Utc(2026, 11, 1, 6, 15),
        Utc(2026, 11, 1, 6, 30), Utc(2026, 11, 1, 6, 45), Utc(2026, 11, 1, 7)}},
      // Starting inside the first pass (01:50 EDT): the next one is 01:00 EST (06:00Z).
      {"NewYorkFallWildcardFromFirstPass",
       "America/New_York",
       "0 * * * *",
       Utc(2026, 11, 1, 5, 50),
       {Utc(2026, 11, 1, 6), Utc(2026, 11, 1, 7)}},
      // Wildcard hour, fixed minute: 01:30 EDT (05:30Z), 01:30 EST (06:30Z), 02:30 EST (07:30Z).
      {"NewYorkFallWildcardHour",
       "America/New_York",
       "30 * * * *",
       Utc(2026, 11, 1, 5),
       {Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 1, 6, 30), Utc(2026, 11, 1, 7, 30)}},
      // Fixed: 01:30 fires on its first occurrence only (EDT, 05:30Z); 11-02 01:30 EST = 06:30Z.
      {"NewYorkFallFixedInRepeatFiresOnce",
       "America/New_York",
       "30 1 * * *",
       Utc(2026, 10, 31, 12),
       {Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 2, 6, 30)}},
      // From inside the second pass (01:10 EST), the repeated 01:30 EST is not a new firing.
      {"NewYorkFallFixedFromSecondPass",
       "America/New_York",
       "30 1 * * *",
       Utc(2026, 11, 1, 6, 10),
       {Utc(2026, 11, 2, 6, 30)}},
      // Fixed times outside the repeated hour are unaffected: 02:30 EST = 07:30Z.
      {"NewYorkFallFixedAfterRepeat",
       "America/New_York",
       "30 2 * * *",
       Utc(2026, 11, 1),
       {Utc(2026, 11, 1, 7, 30), Utc(2026, 11, 2, 7, 30)}},

      // --- Europe/Berlin, spring forward 2026-03-29: 02:00 CET (01:00Z) -> 03:00 CEST.
      // Fixed: 02:30 does not exist -> fires at the jump (01:00Z); 03-30 02:30 CEST = 00:30Z.
      {"BerlinSpringFixedInGapFiresAtJump",
       "Europe/Berlin",
       "30 2 * * *",
       Utc(2026, 3, 28, 12),
       {Utc(2026, 3, 29, 1), Utc(2026, 3, 30, 0, 30)}},
      // Wildcard: 01:45 CET (00:45Z), then 03:00 CEST (01:00Z), 03:15 CEST (01:15Z).
      {"BerlinSpringWildcardEvery15",
       "Europe/Berlin",
       "*/15 * * * *",
       Utc(2026, 3, 29, 0, 30),
       {Utc(2026, 3, 29, 0, 45), Utc(2026, 3, 29, 1), Utc(2026, 3, 29, 1, 15)}},

      // --- Europe/Berlin, fall back 2026-10-25: 03:00 CEST (01:00Z) -> 02:00 CET, so
      // 02:00-02:59 is read twice: CEST 00:00-00:59Z, then CET 01:00-01:59Z.
      {"BerlinFallWildcardEvery15",
       "Europe/Berlin",
       "*/15 * * * *",
       Utc(2026, 10, 24, 23, 45),
       {Utc(2026, 10, 25, 0), Utc(2026, 10, 25, 0, 15), Utc(2026, 10, 25, 0, 30),
        Utc(2026, 10, 25, 0, 45), Utc(2026, 10, 25, 1), Utc(2026, 10, 25, 1, 15),
        Utc(2026, 10, 25, 1, 30), Utc(2026, 10, 25, 1, 45), Utc(2026, 10, 25, 2)}},
      // Fixed: 02:30 CEST (00:30Z) only; 10-26 02:30 CET = 01:30Z.
      {"BerlinFallFixedInRepeatFiresOnce",
       "Europe/Berlin",
       "30 2 * * *",
       Utc(2026, 10, 24, 12),
       {Utc(2026, 10, 25, 0, 30), Utc(2026, 10, 26, 1, 30)}},

      // --- Australia/Lord_Howe, a 30-minute shift. Fall back 2026-04-05: 02:00 +11 (04-04
      // 15:00Z) -> 01:30 +10:30, so 01:30-01:59 is read twice: 14:30-14:59Z then 15:00-15:29Z.
      // Wildcard: 01:15, 01:30, 01:45 +11; 01:30, 01:45 +10:30; 02:00 +10:30 (15:30Z).
      {"LordHoweFallWildcardEvery15",
       "Australia/Lord_Howe",
       "*/15 * * * *",
       Utc(2026, 4, 4, 14),
       {Utc(2026, 4, 4, 14, 15), Utc(2026, 4, 4, 14, 30), Utc(2026, 4, 4, 14, 45),
        Utc(2026, 4, 4, 15), Utc(2026, 4, 4, 15, 15), Utc(2026, 4, 4, 15, 30)}},
      // Fixed: 01:45 +11 (14:45Z) only; 04-06 01:45 +10:30 = 04-05 15:15Z.
      {"LordHoweFallFixedInRepeatFiresOnce",
       "Australia/Lord_Howe",
       "45 1 * * *",
       Utc(2026, 4, 4),
       {Utc(2026, 4, 4, 14, 45), Utc(2026, 4, 5, 15, 15)}},
      // Spring forward 2026-10-04: 02:00 +10:30 (10-03 15:30Z) -> 02:30 +11; 02:00-02:29 do not
      // exist. Wildcard: 01:30, 01:45 +10:30 (15:00Z, 15:15Z), then 02:30, 02:45 +11 (15:30Z,
      // 15:45Z): still 15 real minutes apart.
      {"LordHoweSpringWildcardEvery15",
       "Australia/Lord_Howe",
       "*/15 * * * *",
       Utc(2026, 10, 3, 14, 50),
       {Utc(2026, 10, 3, 15), Utc(2026, 10, 3, 15, 15), Utc(2026, 10, 3, 15, 30),
        Utc(2026, 10, 3, 15, 45)}},
      // Fixed: 02:15 does not exist on 10-04 -> fires at the jump (10-03 15:30Z); 10-05 02:15
      // +11 = 10-04 15:15Z.
      {"LordHoweSpringFixedInGapFiresAtJump",
       "Australia/Lord_Howe",
       "15 2 * * *",
       Utc(2026, 10, 3),
       {Utc(2026, 10, 3, 15, 30), Utc(2026, 10, 4, 15, 15)}},
  };
  return cases;
}

void PrintTo(const DstCase& c, std::ostream* os) { *os << '"' << c.expr << "\" in " << c.zone; }

class CronDstCaseTest : public testing::TestWithParam<DstCase> {};

TEST_P(CronDstCaseTest, FiresAtExpectedInstants) {
  const DstCase& c = GetParam();
  Result<CronSchedule> cron = CronSchedule::Parse(c.expr, c.zone);
  ASSERT_TRUE(cron.ok()) << cron.status().ToString();
  EXPECT_EQ(Show(Firings(*cron, c.from, c.want.size())), Show(c.want))
      << c.expr << " in " << c.zone << " from " << Show(c.from);
}

INSTANTIATE_TEST_SUITE_P(CronZones, CronDstCaseTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<DstCase>& p) {
                           return std::string(p.param.name);
                         });

// The same fall-back day read on the wall clock: each quarter of 01:xx shows up twice, and
// consecutive firings are 15 real minutes apart throughout.
TEST(CronDstTest, NewYorkFallBackReadsTheRepeatedHourTwice) {
  const CronSchedule cron = *CronSchedule::Parse("*/15 * * * *", "America/New_York");
  const std::vector<TimePoint> fires = Firings(cron, Utc(2026, 11, 1, 4, 50), 9);
  std::vector<std::string> local;
  for (TimePoint t : fires) local.push_back(Local(t, "America/New_York"));
  EXPECT_EQ(local, (std::vector<std::string>{
                       "2026-11-01 01:00 EDT", "2026-11-01 01:15 EDT", "2026-11-01 01:30 EDT",
                       "2026-11-01 01:45 EDT", "2026-11-01 01:00 EST", "2026-11-01 01:15 EST",
                       "2026-11-01 01:30 EST", "2026-11-01 01:45 EST", "2026-11-01 02:00 EST"}));
  for (std::size_t i = 1; i < fires.size(); ++i) EXPECT_EQ(fires[i] - fires[i - 1], minutes{15});
}

// Spring-forward day on the wall clock: 02:xx never appears, real spacing stays 15 minutes.
TEST(CronDstTest, NewYorkSpringForwardSkipsTheMissingHour) {
  const CronSchedule cron = *CronSchedule::Parse("*/15 * * * *", "America/New_York");
  const std::vector<TimePoint> fires = Firings(cron, Utc(2026, 3, 8, 6, 20), 4);
  std::vector<std::string> local;
  for (TimePoint t : fires) local.push_back(Local(t, "America/New_York"));
  EXPECT_EQ(local, (std::vector<std::string>{"2026-03-08 01:30 EST", "2026-03-08 01:45 EST",
                                             "2026-03-08 03:00 EDT", "2026-03-08 03:15 EDT"}));
  for (std::size_t i = 1; i < fires.size(); ++i) EXPECT_EQ(fires[i] - fires[i - 1], minutes{15});
}

// A fixed daily time in a DST zone fires exactly once per local day over a whole year, DST days
// included (one missing or doubled firing would change the count).
TEST(CronDstTest, FixedTimeFiresOncePerDayAllYear) {
  for (const char* zone : {"America/New_York", "Europe/Berlin", "Australia/Lord_Howe"}) {
    for (const char* expr : {"30 2 * * *", "45 1 * * *", "15 2 * * *"}) {
      const CronSchedule cron = *CronSchedule::Parse(expr, zone);
      const TimePoint from = Utc(2025, 12, 31, 12);  // 2026-01-01 has not started yet anywhere
      const std::vector<TimePoint> fires = Firings(cron, from, 366);
      ASSERT_EQ(fires.size(), 366u);
      for (std::size_t i = 0; i < 365; ++i) {
        // The i-th firing is on local day 2026-01-01 + i.
        const absl::CivilDay local_day = absl::ToCivilDay(absl::FromChrono(fires[i]), Zone(zone));
        EXPECT_EQ(local_day, absl::CivilDay(2026, 1, 1) + static_cast<int>(i))
            << expr << " in " << zone << ": " << Show(fires[i]);
      }
    }
  }
}

}  // namespace
}  // namespace taskly
