// Schedules across DST changes in 2038-2100, the years that zone files give only as a POSIX TZ
// rule after their transition table. Every expected instant is computed here, independently of
// any time zone library: each zone's DST rule is written out (EU, US, Australia/Sydney), its
// transition days come from a days-from-civil function, and the expected fires of an expression
// come from scanning UTC instants and reading them on the local wall clock by that rule.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "taskly/cron.h"
#include "time/time_test_util.h"
#include "time/trigger.h"

namespace taskly {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr int64_t kDay = 86'400;
constexpr int64_t kHour = 3'600;
constexpr int kFirstYear = 2038;
constexpr int kLastYear = 2100;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
constexpr int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146'097 + doe - 719'468;
}
static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivil(2000, 3, 1) == 11'017);
static_assert(DaysFromCivil(2100, 3, 1) - DaysFromCivil(2100, 2, 28) == 1);  // 2100: no Feb 29

// 0 = Sunday ... 6 = Saturday. 1970-01-01 was a Thursday.
constexpr int64_t Weekday(int64_t days) { return ((days + 4) % 7 + 7) % 7; }
static_assert(Weekday(DaysFromCivil(2038, 1, 19)) == 2);  // a Tuesday

constexpr int64_t DaysInMonth(int64_t y, int64_t m) {
  return m == 12 ? 31 : DaysFromCivil(y, m + 1, 1) - DaysFromCivil(y, m, 1);
}

// The n-th Sunday (1-based) of a month, as days since the epoch.
constexpr int64_t NthSunday(int64_t y, int64_t m, int64_t n) {
  const int64_t first = DaysFromCivil(y, m, 1);
  return first + (7 - Weekday(first)) % 7 + 7 * (n - 1);
}
constexpr int64_t LastSunday(int64_t y, int64_t m) {
  const int64_t last = DaysFromCivil(y, m, DaysInMonth(y, m));
  return last - Weekday(last);
}
static_assert(LastSunday(2038, 3) == DaysFromCivil(2038, 3, 28));
static_assert(NthSunday(2038, 3, 2) == DaysFromCivil(2038, 3, 14));

// One zone's DST rule. Instants are seconds since the epoch (UTC).
struct Rule {
  const char* zone;
  int64_t standard;  // UTC offset in standard time
  int64_t daylight;  // UTC offset in summer time
  int64_t (*dst_start)(int year);
  int64_t (*dst_end)(int year);
  // The local hour that the spring jump skips and the one the fall jump repeats.
  int skipped_hour;
  int repeated_hour;
};

// EU: summer time from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
int64_t EuStart(int y) { return LastSunday(y, 3) * kDay + 1 * kHour; }
int64_t EuEnd(int y) { return LastSunday(y, 10) * kDay + 1 * kHour; }
// US: second Sunday of March 02:00 local standard time (-05:00) to the first Sunday of November
// 02:00 local daylight time (-04:00).
int64_t UsStart(int y) { return NthSunday(y, 3, 2) * kDay + 2 * kHour + 5 * kHour; }
int64_t UsEnd(int y) { return NthSunday(y, 11, 1) * kDay + 2 * kHour + 4 * kHour; }
// Sydney: first Sunday of October 02:00 standard time (+10:00) to the first Sunday of April
// 03:00 daylight time (+11:00); summer spans the new year.
int64_t SydneyStart(int y) { return NthSunday(y, 10, 1) * kDay + 2 * kHour - 10 * kHour; }
int64_t SydneyEnd(int y) { return NthSunday(y, 4, 1) * kDay + 3 * kHour - 11 * kHour; }

const Rule kRules[] = {
    {"Europe/Berlin", 1 * kHour, 2 * kHour, EuStart, EuEnd, 2, 2},
    {"Europe/London", 0, 1 * kHour, EuStart, EuEnd, 1, 1},
    {"America/New_York", -5 * kHour, -4 * kHour, UsStart, UsEnd, 2, 1},
    {"Australia/Sydney", 10 * kHour, 11 * kHour, SydneyStart, SydneyEnd, 2, 2},
};

// The year of an instant in UTC; DST changes are never near a new year in these zones.
int YearOf(int64_t t) {
  int y = 1970 + static_cast<int>(t / (kDay * 365));
  while (DaysFromCivil(y, 1, 1) * kDay > t) --y;
  while (DaysFromCivil(y + 1, 1, 1) * kDay <= t) ++y;
  return y;
}

int64_t OffsetAt(const Rule& r, int64_t t) {
  const int y = YearOf(t);
  const bool summer = r.dst_start(y) < r.dst_end(y)
                          ? r.dst_start(y) <= t && t < r.dst_end(y)
                          : t < r.dst_end(y) || r.dst_start(y) <= t;  // southern hemisphere
  return summer ? r.daylight : r.standard;
}

// Local wall time of `t`, in seconds since the local epoch.
int64_t Local(const Rule& r, int64_t t) { return t + OffsetAt(r, t); }
int64_t LocalDay(const Rule& r, int64_t t) {
  const int64_t l = Local(r, t);
  return (l >= 0 ? l : l - kDay + 1) / kDay;
}
int64_t LocalSecondOfDay(const Rule& r, int64_t t) { return Local(r, t) - LocalDay(r, t) * kDay; }

TimePoint At(int64_t t) { return TimePoint(seconds(t)); }
int64_t Seconds(TimePoint t) {
  return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

// The fires of `cron` in (from, until], as seconds since the epoch.
std::vector<int64_t> Fires(const CronSchedule& cron, int64_t from, int64_t until) {
  std::vector<int64_t> out;
  for (TimePoint t = At(from);;) {
    std::optional<TimePoint> fire = cron.next(t);
    if (!fire || *fire > At(until)) return out;
    out.push_back(Seconds(*fire));
    t = *fire;
  }
}

// Wildcard semantics by brute force: every instant in (from, until] whose wall-clock reading
// matches "*/30 <hour> * * *". The offsets are whole hours, so a 30-minute UTC grid covers every
// wall time that can match.
std::vector<int64_t> WildcardHalfHours(const Rule& r, int hour, int64_t from, int64_t until) {
  std::vector<int64_t> out;
  for (int64_t t = from - from % 1800 + 1800; t <= until; t += 1800) {
    if (LocalSecondOfDay(r, t) / kHour == hour) out.push_back(t);
  }
  return out;
}

// Fixed-time semantics of "30 <hour> * * *" by brute force, for (from, until] where both are
// local midnights: the first instant each local day reads <hour>:30; on a day whose jump skipped
// that reading, the instant of the jump.
std::vector<int64_t> FixedHalfPast(const Rule& r, int hour, int64_t from, int64_t until) {
  std::vector<int64_t> out;
  const int64_t wall = hour * kHour + 1800;
  for (int64_t day = LocalDay(r, from); day < LocalDay(r, until); ++day) {
    std::optional<int64_t> first;
    std::optional<int64_t> jump;
    // Every UTC minute that can belong to this local day.
    for (int64_t t = day * kDay - 12 * kHour; t < (day + 1) * kDay + 12 * kHour; t += 60) {
      if (LocalDay(r, t) != day) continue;
      if (!first && LocalSecondOfDay(r, t) == wall) first = t;
      // A jump forward over `wall`: one minute before it the clock read less, now more.
      const int64_t before = LocalSecondOfDay(r, t - 60);
      if (LocalDay(r, t - 60) == day && before < wall && LocalSecondOfDay(r, t) > wall &&
          OffsetAt(r, t) > OffsetAt(r, t - 60)) {
        jump = t;
      }
    }
    if (first) {
      out.push_back(*first);
    } else if (jump) {
      out.push_back(*jump);
    }
  }
  return out;
}

int OnLocalDay(const Rule& r, const std::vector<int64_t>& instants, int64_t day) {
  int n = 0;
  for (int64_t t : instants) n += LocalDay(r, t) == day ? 1 : 0;
  return n;
}

std::vector<int> Years() {
  std::vector<int> years;
  for (int y = kFirstYear; y <= kLastYear; ++y) years.push_back(y);
  return years;
}

// The rule itself, checked on a few dates published in advance (the zone files list them up
// to 2037); everything after 2037 then follows from the rule.
TEST(CronDst2100Test, RulesMatchKnownDates) {
  EXPECT_EQ(EuStart(2037), DaysFromCivil(2037, 3, 29) * kDay + kHour);
  EXPECT_EQ(EuEnd(2037), DaysFromCivil(2037, 10, 25) * kDay + kHour);
  EXPECT_EQ(UsStart(2037), DaysFromCivil(2037, 3, 8) * kDay + 7 * kHour);
  EXPECT_EQ(UsEnd(2037), DaysFromCivil(2037, 11, 1) * kDay + 6 * kHour);
  EXPECT_EQ(SydneyStart(2037), DaysFromCivil(2037, 10, 3) * kDay + 16 * kHour);
  EXPECT_EQ(SydneyEnd(2037), DaysFromCivil(2037, 4, 4) * kDay + 16 * kHour);
  EXPECT_EQ(EuStart(2038), DaysFromCivil(2038, 3, 28) * kDay + kHour);
  EXPECT_EQ(UsEnd(2100), DaysFromCivil(2100, 11, 7) * kDay + 6 * kHour);
}

// A fixed daily time fires at that wall time every day of 2038-2100, at the UTC offset the rule
// gives for the day.
TEST(CronDst2100Test, FixedNoonEveryDayHasTheRulesOffset) {
  for (const Rule& r : kRules) {
    const CronSchedule cron = *CronSchedule::Parse("0 12 * * *", r.zone);
    const int64_t first_day = DaysFromCivil(kFirstYear, 1, 1);
    const int64_t end_day = DaysFromCivil(kLastYear + 1, 1, 1);
    // 2037-12-31 20:00 UTC: after that day's noon and before the next one in every zone.
    TimePoint t = At(first_day * kDay - 4 * kHour);
    int wrong = 0;
    for (int64_t day = first_day; day < end_day && wrong < 5; ++day) {
      const int64_t noon = day * kDay + 12 * kHour;
      // Noon is hours away from any jump, so its offset is the rule's at noon by either offset.
      const int64_t want = noon - OffsetAt(r, noon - r.standard);
      std::optional<TimePoint> fire = cron.next(t);
      ASSERT_TRUE(fire.has_value()) << r.zone;
      if (Seconds(*fire) != want) {
        ++wrong;
        ADD_FAILURE() << r.zone << " day " << day << ": fired " << testutil::Show(*fire)
                      << ", want " << testutil::Show(At(want));
      }
      t = *fire;
    }
  }
}

// The case: noon on July 1st in Berlin is summer time in every year.
TEST(CronDst2100Test, JulyNoonInBerlinIsSummerTimeEveryYear) {
  const CronSchedule cron = *CronSchedule::Parse("0 12 1 7 *", "Europe/Berlin");
  TimePoint t = testutil::Utc(kFirstYear, 1, 1);
  for (int y : Years()) {
    std::optional<TimePoint> fire = cron.next(t);
    ASSERT_TRUE(fire.has_value()) << y;
    EXPECT_EQ(Seconds(*fire), DaysFromCivil(y, 7, 1) * kDay + 10 * kHour) << y;
    t = *fire;
  }
}

// Wildcard: around each spring jump the skipped hour never fires, around each fall jump the
// repeated hour fires in both passes; the neighbouring days fire at their own offsets.
TEST(CronDst2100Test, WildcardSkipsAndRepeatsWithTheWallClock) {
  for (const Rule& r : kRules) {
    const CronSchedule skipped =
        *CronSchedule::Parse("*/30 " + std::to_string(r.skipped_hour) + " * * *", r.zone);
    const CronSchedule repeated =
        *CronSchedule::Parse("*/30 " + std::to_string(r.repeated_hour) + " * * *", r.zone);
    for (int y : Years()) {
      const int64_t spring = r.dst_start(y);
      const int64_t fall = r.dst_end(y);
      const int64_t a = spring - 2 * kDay, b = spring + 2 * kDay;
      const std::vector<int64_t> want_spring = WildcardHalfHours(r, r.skipped_hour, a, b);
      EXPECT_EQ(OnLocalDay(r, want_spring, LocalDay(r, spring)), 0) << r.zone << " " << y;
      EXPECT_EQ(Fires(skipped, a, b), want_spring) << r.zone << " spring " << y;
      const int64_t c = fall - 2 * kDay, d = fall + 2 * kDay;
      const std::vector<int64_t> want_fall = WildcardHalfHours(r, r.repeated_hour, c, d);
      EXPECT_EQ(OnLocalDay(r, want_fall, LocalDay(r, fall)), 4) << r.zone << " " << y;
      EXPECT_EQ(Fires(repeated, c, d), want_fall) << r.zone << " fall " << y;
    }
  }
}

// Fixed time: a skipped wall time fires once, at the jump; a repeated one only on its first
// pass; every other day once, at its own offset.
TEST(CronDst2100Test, FixedTimeFiresAtTheJumpAndOnlyOnTheFirstPass) {
  for (const Rule& r : kRules) {
    const CronSchedule skipped =
        *CronSchedule::Parse("30 " + std::to_string(r.skipped_hour) + " * * *", r.zone);
    const CronSchedule repeated =
        *CronSchedule::Parse("30 " + std::to_string(r.repeated_hour) + " * * *", r.zone);
    for (int y = kFirstYear; y <= kLastYear; y += 3) {
      const int64_t spring = r.dst_start(y);
      const int64_t a = (LocalDay(r, spring) - 1) * kDay - r.standard;
      const int64_t b = (LocalDay(r, spring) + 3) * kDay - r.daylight;
      const std::vector<int64_t> want_spring = FixedHalfPast(r, r.skipped_hour, a, b);
      ASSERT_EQ(want_spring.size(), 4u) << r.zone << " " << y;
      EXPECT_EQ(want_spring[1], spring) << r.zone << " " << y;  // the jump itself
      EXPECT_EQ(Fires(skipped, a, b), want_spring) << r.zone << " spring " << y;

      const int64_t fall = r.dst_end(y);
      const int64_t c = (LocalDay(r, fall) - 1) * kDay - r.daylight;
      const int64_t d = (LocalDay(r, fall) + 3) * kDay - r.standard;
      const std::vector<int64_t> want_fall = FixedHalfPast(r, r.repeated_hour, c, d);
      ASSERT_EQ(want_fall.size(), 4u) << r.zone << " " << y;
      EXPECT_EQ(want_fall[1], fall - kHour + 1800) << r.zone << " " << y;  // the first pass
      EXPECT_EQ(Fires(repeated, c, d), want_fall) << r.zone << " fall " << y;
    }
  }
}

// `every` is a fixed rate: the k-th tick is due at anchor + k*period exactly, whatever the DST
// changes in between, in every zone.
TEST(CronDst2100Test, EveryTicksStayOnTheAnchorGridAcrossDst) {
  const TimePoint anchor = testutil::Utc(2037, 12, 31, 23, 59, 59) + std::chrono::milliseconds(7);
  for (Duration period :
       {Duration(minutes(15)), Duration(hours(1)), Duration(minutes(90)), Duration(hours(24)),
        Duration(hours(24 * 7)), Duration(seconds(86'399)), Duration(hours(24 * 365))}) {
    ScheduleSpec spec{.id = "s", .every = period, .anchor = anchor};
    spec.task.type = "t";
    const Trigger trigger = *Trigger::Make(spec, anchor);
    // Every DST change of 2038-2100 in the zones above, and the seconds around it.
    for (const Rule& r : kRules) {
      for (int y : Years()) {
        for (int64_t jump : {r.dst_start(y), r.dst_end(y)}) {
          for (int64_t around : {-kHour - 1, int64_t{-1}, int64_t{0}, kHour}) {
            const TimePoint ask = At(jump + around);
            const std::optional<TimePoint> due = trigger.next_after(ask);
            ASSERT_TRUE(due.has_value());
            const int64_t k = (ask - anchor) / period + 1;
            EXPECT_EQ(*due, anchor + k * period) << testutil::Show(ask);
            EXPECT_GT(*due, ask);
            EXPECT_LE(*due - period, ask);
          }
        }
      }
    }
    // The due times in a window over a whole year of changes are the grid's, one period apart.
    const Trigger::Window w =
        trigger.window(testutil::Utc(2099, 1, 1), testutil::Utc(2100, 1, 1), 1'000'000, 1'000'000);
    ASSERT_FALSE(w.last.empty());
    for (size_t i = 0; i < w.last.size(); ++i) {
      EXPECT_EQ((w.last[i] - anchor) % period, Duration::zero());
      if (i > 0) {
        EXPECT_EQ(w.last[i] - w.last[i - 1], period);
      }
    }
  }
}

}  // namespace
}  // namespace taskly
