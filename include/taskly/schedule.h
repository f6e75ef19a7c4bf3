// File: taskly/schedule.h
//
// Schedules: recurring sources of tasks. A schedule is one of
//   once(at)               a single tick at `at`
//   every(period, anchor)  fixed rate: the k-th tick (k >= 1) is due at anchor + k*period, so a
//                          late tick never shifts the ones after it (no drift)
//   cron(expr, tz)         see taskly/cron.h
// and has a task template, a misfire policy and an overlap policy.
//
// A tick is *on time* when it is fired within `misfire.grace` of its due time. Ticks found
// further in the past (the process was down, paused, or the machine stalled) are *misfired* and
// handled by the misfire policy:
//   fire_once  fire one tick (the most recent misfired one), drop the rest   (Quartz's default)
//   skip       drop them all
//   catch_up   fire the most recent `max_catch_up` of them, oldest first, drop the rest
// The overlap policy decides what a tick does while the schedule's previous task is not
// finished: allow (enqueue anyway), forbid (skip this tick), replace (cancel the previous task,
// then enqueue).
//
// Every tick is enqueued with the idempotency key (schedule id, due), so a tick is enqueued at
// most once even if two processes both fire it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "taskly/clock.h"
#include "taskly/status.h"
#include "taskly/task.h"

namespace taskly {

enum class MisfirePolicy : uint8_t { kFireOnce, kSkip, kCatchUp };
enum class OverlapPolicy : uint8_t { kAllow, kForbid, kReplace };

std::string_view MisfirePolicyName(MisfirePolicy p);
Result<MisfirePolicy> ParseMisfirePolicy(std::string_view name, std::string_view field = "misfire");
std::string_view OverlapPolicyName(OverlapPolicy p);
Result<OverlapPolicy> ParseOverlapPolicy(std::string_view name, std::string_view field = "overlap");

// The most misfired ticks a catch_up schedule fires at once.
inline constexpr int32_t kMaxCatchUp = 1000;

struct Misfire {
  MisfirePolicy policy = MisfirePolicy::kFireOnce;
  int32_t max_catch_up = 1;  // for kCatchUp; 1 to kMaxCatchUp whatever the policy
  Duration grace = std::chrono::seconds(1);

  bool operator==(const Misfire&) const = default;
};

struct ScheduleSpec {
  std::string id;  // [A-Za-z0-9_.:-]{1,128}; required, unique per scheduler

  // Exactly one of `once`, `every` (> 0) or `cron` is set.
  std::optional<TimePoint> once;
  Duration every = Duration::zero();
  std::optional<TimePoint> anchor;  // for `every`; default: when the schedule is added
  std::string cron;
  std::string tz = "UTC";  // for `cron`

  Misfire misfire;
  OverlapPolicy overlap = OverlapPolicy::kAllow;
  TaskSpec task;  // template of each tick's task; period, schedule_id and tick_due are set per tick
  // Each tick's task must start within this long of its due time (its deadline is due +
  // start_within, which also orders it under `edf`); zero keeps the template's deadline.
  Duration start_within = Duration::zero();
  bool paused = false;
  // Declared worst-case execution time of one tick's task, for the schedulability analysis;
  // zero means "use the longest run measured so far".
  Duration wcet = Duration::zero();

  // Field by field, the task template included.
  bool operator==(const ScheduleSpec&) const = default;
};

// Checks the spec, including the cron expression and time zone and the task template;
// InvalidArgument naming the field ("cron.minute", "every", "task.queue") otherwise. Durations
// (every, start_within, wcet, misfire.grace) must be within ValidateDuration's range, times
// (once, anchor) within ValidateTime's. The scheduler's minimum period is checked by
// Scheduler::add_schedule, which knows it.
Status ValidateScheduleSpec(const ScheduleSpec& spec);

// A snapshot of a schedule as the scheduler runs it.
struct ScheduleInfo {
  ScheduleSpec spec;
  std::optional<TimePoint> next_due;  // absent when paused or finished
  std::optional<TimePoint> last_due;  // last tick handled (fired or dropped)
  TaskId last_task;                   // the last tick's task
  int64_t fired = 0;
  int64_t skipped_misfire = 0;
  int64_t skipped_overlap = 0;
  Duration measured_wcet = Duration::zero();  // longest run of this schedule's tasks here
  // While the store does not take a due tick, it is retried with backoff (under the misfire
  // policy): failed_tries counts the failures in a row and last_error is the latest. Both are
  // cleared once the tick is taken.
  int64_t failed_tries = 0;
  std::string last_error;
};

}  // namespace taskly
