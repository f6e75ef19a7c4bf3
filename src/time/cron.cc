// CronSchedule: the time zone and the search for the next fire time. Parsing is in cron_parse.cc.
//
// The search walks the zone's UTC offset periods (date::sys_info) forward from `after`. Inside
// one period local time is UTC plus a constant offset, so the next fire time in it is the first
// matching local wall time in the period's local range, found by walking calendar days and then
// the hour/minute/second masks. A wall time skipped by a jump is in no period's local range, so
// a wildcard expression never fires there; a repeated one is in two, so it fires in both. A
// fixed-time expression instead fires at the start of a period whose jump skipped a matching wall
// time, and ignores the wall times a period repeats from the previous one.
#include "taskly/cron.h"

#include <date/tz.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <exception>
#include <utility>

#include "time/cron_parse.h"

namespace taskly {

struct CronSchedule::Impl {
  CronFields fields;
  const date::time_zone* zone = nullptr;
  std::string expression;
  std::string time_zone;
};

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

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
bool DayMatches(const CronFields& f, const date::year_month_day& ymd, date::weekday wd) {
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
std::optional<date::local_seconds> FirstMatch(const CronFields& f, date::local_seconds from,
                                              date::local_seconds until) {
  date::local_days day = std::chrono::floor<days>(from);
  seconds time_of_day = from - day;
  while (day < until) {
    const date::year_month_day ymd(day);
    if (!HasBit(f.months, static_cast<unsigned>(ymd.month()))) {
      day = date::local_days{(ymd.year() / ymd.month() + date::months{1}) / 1};
      time_of_day = seconds{0};
      continue;
    }
    if (DayMatches(f, ymd, date::weekday(day))) {
      if (std::optional<seconds> t = FirstTimeOfDay(f, time_of_day)) {
        const date::local_seconds match = day + *t;
        if (match < until) return match;
        return std::nullopt;
      }
    }
    day += days{1};
    time_of_day = seconds{0};
  }
  return std::nullopt;
}

date::local_seconds ToLocal(date::sys_seconds t, seconds offset) {
  return date::local_seconds{t.time_since_epoch() + offset};
}

// The first fire instant in [lo, limit), walking one UTC offset period at a time.
std::optional<date::sys_seconds> NextFire(const CronFields& f, const date::time_zone& zone,
                                          date::sys_seconds lo, date::sys_seconds limit) {
  for (date::sys_seconds cur = lo; cur < limit;) {
    const date::sys_info period = zone.get_info(cur);
    const date::sys_seconds end = std::min(period.end, limit);
    const seconds offset = period.offset;
    date::local_seconds from = ToLocal(cur, offset);
    if (!f.wildcard) {
      const seconds before = zone.get_info(period.begin - seconds{1}).offset;
      // Spring forward: the wall times [begin+before, begin+offset) were skipped; if one of them
      // matches, fire once at the jump, unless the jump is before lo (then cur > begin).
      if (period.begin == cur && before < offset &&
          FirstMatch(f, ToLocal(period.begin, before), ToLocal(period.begin, offset))) {
        return period.begin;
      }
      // Fall back: wall times before begin+before were already shown by the previous period.
      from = std::max(from, ToLocal(period.begin, before));
    }
    if (std::optional<date::local_seconds> match = FirstMatch(f, from, ToLocal(end, offset))) {
      return date::sys_seconds{match->time_since_epoch() - offset};
    }
    cur = end;
  }
  return std::nullopt;
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expr, std::string_view tz) {
  Result<CronFields> fields = ParseCronFields(expr);
  if (!fields.ok()) return fields.status();
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(tz);
  } catch (const std::exception& e) {  // unknown name, or no tz database on this machine
    return InvalidArgument("tz", "unknown time zone \"" + std::string(tz) + "\": " + e.what());
  }
  auto impl = std::make_shared<Impl>();
  impl->fields = *fields;
  impl->zone = zone;
  impl->expression = std::string(expr);
  impl->time_zone = std::string(tz);
  return CronSchedule(std::move(impl));
}

std::optional<TimePoint> CronSchedule::next(TimePoint after) const {
  // Fire times are whole seconds, so the first one strictly after `after` is at or after lo.
  const date::sys_seconds lo = std::chrono::floor<seconds>(after) + seconds{1};
  const date::sys_seconds latest = std::chrono::floor<seconds>(TimePoint::max());
  const date::sys_seconds limit = lo < latest - kSearchHorizon ? lo + kSearchHorizon : latest;
  std::optional<date::sys_seconds> fire = NextFire(impl_->fields, *impl_->zone, lo, limit);
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
