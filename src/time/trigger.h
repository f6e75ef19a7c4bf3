// Trigger: the due times of a schedule (once, every, cron), and PlanTicks, the pure function that
// decides which ticks to fire when a schedule wakes up, by its misfire policy. Both are pure so
// drift and misfire behaviour are tested without threads or clocks.
//
// Thread-safety: immutable after construction.
#pragma once

#include <optional>
#include <vector>

#include "taskly/cron.h"
#include "taskly/schedule.h"

namespace taskly {

class Trigger {
 public:
  // REQUIRES: ValidateScheduleSpec(spec).ok(). `added` is when the schedule was added: the
  // default anchor of `every`.
  static Result<Trigger> Make(const ScheduleSpec& spec, TimePoint added);

  // The first due time strictly after `t`, or nullopt if there is none.
  std::optional<TimePoint> next_after(TimePoint t) const;

  // The nominal period (for rate-monotonic ordering): `every`'s period, the gap between two
  // consecutive cron fires, zero for `once`.
  Duration period() const { return period_; }

  // The due times in (after, upto]: how many there are, the last `keep` of them ascending, and
  // the latest. Scans at most `max_scan` due times unless the trigger can count them directly;
  // a window cut short ends at `latest`, and the caller plans the rest on its next wake-up.
  struct Window {
    int64_t count = 0;
    std::vector<TimePoint> last;
    std::optional<TimePoint> latest;
  };
  Window window(TimePoint after, TimePoint upto, size_t keep, int64_t max_scan) const;

 private:
  Trigger() = default;

  std::optional<TimePoint> once_;
  Duration every_ = Duration::zero();
  TimePoint anchor_{};
  std::optional<CronSchedule> cron_;
  Duration period_ = Duration::zero();
};

struct TickPlan {
  std::vector<TimePoint> fire;    // due times to enqueue, ascending
  int64_t skipped = 0;            // misfired ticks dropped
  std::optional<TimePoint> last;  // the latest due time <= now (handled now), if any
};

// The ticks due in (last_due, now], split into on-time ones (due >= now - grace), which all fire,
// and misfired ones, handled by `misfire`. Scans at most `max_scan` due times; past that, the
// oldest are counted as skipped without being listed.
TickPlan PlanTicks(const Trigger& trigger, const Misfire& misfire, TimePoint last_due,
                   TimePoint now, int64_t max_scan = 100'000);

}  // namespace taskly
