// CronSchedule: the time zone and the search for the next fire time. Parsing is in cron_parse.cc.
//
// The search walks the zone's periods of constant UTC offset forward from `after`, as Abseil
// reports them (time_zone.h: the zone file's transitions, then its POSIX TZ rule for later
// years). Inside one period local time is UTC plus a constant offset, so the next fire time in
// it is the first matching local wall time in the period's local range, found by walking
// calendar days and then the hour/minute/second masks. A wall time skipped by a jump is in no
// period's local range, so a wildcard expression never fires there; a repeated one is in two,
// so it fires in both. A fixed-time expression instead fires at the start of a period whose jump
// skipped a matching wall time, and ignores the wall times a period repeats from the previous
// one.
#include "taskly/cron.h"

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <utility>

#include "time/cron_parse.h"
#include "time/time_zone.h"

namespace taskly {

struct CronSchedule::Impl {
  CronFields fields;
  absl::TimeZone zone;
  std::string expression;
  std::string time_zone;
};

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::local_days;
using std::chrono::local_seconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_seconds;

// How far past `after` next() looks. The longest wait between fire times of any expression
// Parse accepts is 40 years (February 29 on a given weekday, across a non-leap century year
// such as 2100), so this only ends the search for expressions that match nothing but wall times
// every DST jump skips.
constexpr days kSearchHorizon{50 * 366};

// The lowest set bit of `mask` at or above `from`, or -1.
int NextBit(uint64_t mask, int from) {
  if (from >= 64) return -1;
  const uint64_t rest = mask >> from;
  return rest == 0 ? -1 : from + std::countr_zero(rest);
}

bool HasBit(uint64_t mask, unsigned bit) { return ((mask >> bit) & 1) != 0; }

// cron(8): if either day field begins with `*` a day must match both, otherwise either.
bool DayMatches(const CronFields& f, const std::chrono::year_month_day& ymd,
                std::chrono::weekday wd) {
  const bool dom = HasBit(f.days_of_month, static_cast<unsigned>(ymd.day()));
  const bool dow = HasBit(f.days_of_week, wd.c_encoding());
  return (f.dom_star || f.dow_star) ? (dom && dow) : (dom || dow);
}

// The first matching time of day at or after `from` (0 <= from < 24h), or nullopt.
std::optional<seconds> FirstTimeOfDay(const CronFields& f, seconds from) {
  const int h0 = static_cast<int>(from / hours{1});
  const int m0 = static_cast<int>(from % hours{1} / minutes{1});
  const int s0 = static_cast<int>(from % minutes{1} / seconds{1});
  for (int h = NextBit(f.hours, h0); h >= 0; h = NextBit(f.hours, h + 1)) {
    for (int m = NextBit(f.minutes, h == h0 ? m0 : 0); m >= 0; m = NextBit(f.minutes, m + 1)) {
      const int s = NextBit(f.seconds, h == h0 && m == m0 ? s0 : 0);
      if (s >= 0) return hours{h} + minutes{m} + seconds{s};
    }
  }
  return std::nullopt;
}

// The first matching local wall time in [from, until), or nullopt.
std::optional<local_seconds> FirstMatch(const CronFields& f, local_seconds from,
                                        local_seconds until) {
  local_days day = std::chrono::floor<days>(from);
  seconds time_of_day = from - day;
  while (day < until) {
    const std::chrono::year_month_day ymd(day);
    if (!HasBit(f.months, static_cast<unsigned>(ymd.month()))) {
      day = local_days{(ymd.year() / ymd.month() + std::chrono::months{1}) / 1};
      time_of_day = seconds{0};
      continue;
    }
    if (DayMatches(f, ymd, std::chrono::weekday(day))) {
      if (std::optional<seconds> t = FirstTimeOfDay(f, time_of_day)) {
        const local_seconds match = day + *t;
        if (match < until) return match;
        return std::nullopt;
      }
    }
    day += days{1};
    time_of_day = seconds{0};
  }
  return std::nullopt;
}

local_seconds ToLocal(sys_seconds t, seconds offset) {
  return local_seconds{t.time_since_epoch() + offset};
}

// A span [begin, end) of constant UTC offset, and the offset just before it. With no
// transition before it (or after it), begin (end) is the earliest (latest) sys_seconds, and
// `before` equals `offset`.
struct Period {
  sys_seconds begin;
  sys_seconds end;
  seconds offset;
  seconds before;
};

absl::Time ToAbsl(sys_seconds t) { return absl::FromUnixSeconds(t.time_since_epoch().count()); }

// A civil time read as if it were UTC, in seconds since the epoch.
seconds SinceEpoch(const absl::CivilSecond& cs) {
  return seconds{cs - absl::CivilSecond(1970, 1, 1, 0, 0, 0)};
}

// The end of the period that starts at `begin` or contains it, whose offset is `offset`: the
// next transition after `begin`. A transition's `from` is the wall time at its instant under
// the offset it leaves.
sys_seconds PeriodEnd(const absl::TimeZone& zone, sys_seconds begin, seconds offset) {
  absl::TimeZone::CivilTransition next;
  if (!zone.NextTransition(ToAbsl(begin), &next)) return sys_seconds::max();
  return sys_seconds{SinceEpoch(next.from) - offset};
}

// The period containing `t`. Its begin and `before` are looked up only `with_begin` (only the
// fixed-time rules use them); otherwise they are left as if no transition came before.
Period PeriodAt(const absl::TimeZone& zone, sys_seconds t, bool with_begin) {
  const seconds offset{zone.At(ToAbsl(t)).offset};
  Period p{sys_seconds::min(), PeriodEnd(zone, t, offset), offset, offset};
  // The last transition at or before t; its `to` is the wall time at its instant under the
  // offset it enters.
  absl::TimeZone::CivilTransition last;
  if (with_begin && zone.PrevTransition(ToAbsl(t) + absl::Seconds(1), &last)) {
    p.begin = sys_seconds{SinceEpoch(last.to) - offset};
    p.before = offset - seconds{last.to - last.from};
  }
  return p;
}

// The period that starts where `p` ends.
Period NextPeriod(const absl::TimeZone& zone, const Period& p) {
  const seconds offset{zone.At(ToAbsl(p.end)).offset};
  return Period{p.end, PeriodEnd(zone, p.end, offset), offset, p.offset};
}

// The first fire instant in [lo, limit), walking one UTC offset period at a time.
std::optional<sys_seconds> NextFire(const CronFields& f, const absl::TimeZone& zone, sys_seconds lo,
                                    sys_seconds limit) {
  Period period = PeriodAt(zone, lo, !f.wildcard);
  for (sys_seconds cur = lo;;) {
    const sys_seconds end = std::min(period.end, limit);
    local_seconds from = ToLocal(cur, period.offset);
    if (!f.wildcard) {
      // Spring forward: the wall times [begin+before, begin+offset) were skipped; if one of them
      // matches, fire once at the jump, unless the jump is before lo (then cur > begin).
      if (period.begin == cur && period.before < period.offset &&
          FirstMatch(f, ToLocal(period.begin, period.before),
                     ToLocal(period.begin, period.offset))) {
        return period.begin;
      }
      // Fall back: wall times before begin+before were already shown by the previous period.
      if (period.before > period.offset) {
        from = std::max(from, ToLocal(period.begin, period.before));
      }
    }
    if (std::optional<local_seconds> match = FirstMatch(f, from, ToLocal(end, period.offset))) {
      return sys_seconds{match->time_since_epoch() - period.offset};
    }
    if (end >= limit) return std::nullopt;
    cur = end;
    period = NextPeriod(zone, period);
  }
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expr, std::string_view tz) {
  Result<CronFields> fields = ParseCronFields(expr);
  if (!fields.ok()) return fields.status();
  Result<absl::TimeZone> zone = LoadTimeZone(tz);
  if (!zone.ok()) return zone.status();
  auto impl = std::make_shared<Impl>();
  impl->fields = *fields;
  impl->zone = *zone;
  impl->expression = std::string(expr);
  impl->time_zone = std::string(tz);
  return CronSchedule(std::move(impl));
}

std::optional<TimePoint> CronSchedule::next(TimePoint after) const {
  // Fire times are whole seconds, so the first one strictly after `after` is at or after lo.
  const sys_seconds lo = std::chrono::floor<seconds>(after) + seconds{1};
  const sys_seconds latest = std::chrono::floor<seconds>(TimePoint::max());
  const sys_seconds limit = lo < latest - kSearchHorizon ? lo + kSearchHorizon : latest;
  std::optional<sys_seconds> fire = NextFire(impl_->fields, impl_->zone, lo, limit);
  if (!fire) return std::nullopt;
  return std::chrono::time_point_cast<Duration>(*fire);
}

bool CronSchedule::wildcard() const { return impl_->fields.wildcard; }

namespace {

// The smallest gap, in units of one step of a field, between two consecutive selected values of
// `mask` (bits 0 to size-1), given that the same values repeat every `cycle` steps (the gap of
// the next coarser field, in this field's steps): the gap within one cycle, or from the last
// value of one cycle to the first of the next.
int64_t SmallestGap(uint64_t mask, int size, int64_t cycle) {
  int first = -1;
  int previous = -1;
  int64_t gap = cycle;
  for (int v = 0; v < size; ++v) {
    if (((mask >> v) & 1) == 0) continue;
    if (first < 0) first = v;
    if (previous >= 0) gap = std::min<int64_t>(gap, v - previous);
    previous = v;
  }
  if (first >= 0) gap = std::min(gap, cycle - (previous - first));
  return gap;
}

}  // namespace

Duration CronSchedule::min_gap() const {
  const CronFields& f = impl_->fields;
  // Seconds between consecutive days are at least a day; hours, minutes and seconds within.
  int64_t gap = 86'400;
  gap = SmallestGap(f.hours, 24, gap / 3600) * 3600;
  gap = SmallestGap(f.minutes, 60, gap / 60) * 60;
  gap = SmallestGap(f.seconds, 60, gap);
  return std::chrono::seconds(gap);
}

const std::string& CronSchedule::expression() const { return impl_->expression; }
const std::string& CronSchedule::time_zone() const { return impl_->time_zone; }

CronSchedule::CronSchedule(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
CronSchedule::CronSchedule(const CronSchedule&) = default;
CronSchedule& CronSchedule::operator=(const CronSchedule&) = default;
CronSchedule::CronSchedule(CronSchedule&&) noexcept = default;
CronSchedule& CronSchedule::operator=(CronSchedule&&) noexcept = default;
CronSchedule::~CronSchedule() = default;

}  // namespace taskly
