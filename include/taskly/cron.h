// File: taskly/cron.h
//
// Cron expressions in IANA time zones.
//
// Syntax: 5 fields "minute hour day-of-month month day-of-week", or 6 with seconds first
// "second minute hour day-of-month month day-of-week"; each field a list of `*`, values, ranges
// `a-b`, and steps `*/n` `a-b/n` `a/n`; month names JAN-DEC and day names SUN-SAT (any case);
// day-of-week 0-7 with 0 and 7 both Sunday; macros @yearly (@annually) @monthly @weekly @daily
// (@midnight) @hourly. When both day-of-month and day-of-week are restricted (neither starts
// with `*`), a day matches if either matches, as in cron(8).
//
// Clock changes follow cron(8)'s rule: a *wildcard* expression (minute or hour field begins with
// `*`) follows the local wall clock as it is: skipped wall times never fire, repeated wall times
// fire in both passes. A fixed-time expression fires once for a skipped wall time, at the
// instant of the jump, and only on the first occurrence of a repeated wall time.
//
//   Result<CronSchedule> c = CronSchedule::Parse("30 2 * * *", "Europe/Berlin");
//   std::optional<TimePoint> t = c->next(clock.now());
//
// Thread-safety: immutable after Parse; safe to share.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "taskly/clock.h"
#include "taskly/status.h"

namespace taskly {

class CronSchedule {
 public:
  // Parses `expr` in time zone `tz` (an IANA name from the system tz database, e.g.
  // "America/New_York"; "UTC" by default). On error: InvalidArgument whose field names the bad
  // part ("cron.minute", "cron.day_of_week", "cron" for the field count or an unknown macro,
  // "tz" for an unknown zone) and whose message says what is wrong with which text. An
  // expression that can never match (e.g. "0 0 30 2 *") is rejected with field "cron" and a
  // message saying it never fires.
  static Result<CronSchedule> Parse(std::string_view expr, std::string_view tz = "UTC");

  // The first fire instant strictly after `after`, or nullopt if there is none within the
  // search horizon (the expression never matches again). Never loops unboundedly.
  std::optional<TimePoint> next(TimePoint after) const;

  // True if the minute or hour field begins with `*` (see the DST rule above).
  bool wildcard() const;

  // The expression's period: the smallest gap between two consecutive fire times its second,
  // minute and hour fields allow, by the wall clock, taking any two consecutive days as
  // possible. "*/10 * * * * *" is 10 s, "0 */15 * * *" 15 min, "0,59 0 * * * *" 59 s,
  // "30 2 * * *" and "@monthly" 24 h. Two fires around a DST jump may come closer (a fixed-time
  // expression fires skipped wall times at the instant of the jump).
  Duration min_gap() const;
  const std::string& expression() const;
  const std::string& time_zone() const;

  CronSchedule(const CronSchedule&);
  CronSchedule& operator=(const CronSchedule&);
  CronSchedule(CronSchedule&&) noexcept;
  CronSchedule& operator=(CronSchedule&&) noexcept;
  ~CronSchedule();

 private:
  struct Impl;
  explicit CronSchedule(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace taskly
