// Schedules: each armed schedule has one timer at its next due time. When it fires, the
// schedule plans the ticks due since it last ran (PlanTicks applies the misfire policy), applies
// the overlap policy to each, enqueues it with its idempotency key (schedule id, due), and arms
// the timer for the next due time. Due times come from the trigger (anchor + k*period for
// `every`), never from the time a tick actually fired, so lateness never accumulates.

#include "codec/json_codec.h"
#include "core/engine.h"
#include "core/saturating.h"

namespace taskly {

namespace {

// The first retry of a tick the store would not take comes after kFirstTickRetry, each next one
// after twice as long, up to kMaxTickRetry: quick for a blip, cheap for an outage.
constexpr Duration kFirstTickRetry = std::chrono::milliseconds(100);
constexpr Duration kMaxTickRetry = std::chrono::seconds(30);

}  // namespace

void Scheduler::Impl::arm(ScheduleState& s) {
  if (s.timer != kNoTimer) timers->cancel(s.timer);
  s.timer = kNoTimer;
  s.next_due = s.spec.paused ? std::nullopt : s.trigger.next_after(s.last_due);
  if (!ticking || !leading || !s.next_due) return;
  const TimePoint at = s.retry_at ? std::max(*s.retry_at, *s.next_due) : *s.next_due;
  s.timer = timers->schedule(at, [this, id = s.spec.id] { on_tick(id); });
}

void Scheduler::Impl::on_tick(const std::string& schedule_id) {
  std::lock_guard lock(schedules_mu);
  auto it = schedules.find(schedule_id);
  if (it == schedules.end() || !ticking) return;
  ScheduleState& s = it->second;
  s.timer = kNoTimer;
  TimePoint now = clock.now();
  // A node that was paused past its lease learns it here, before it writes.
  if (!leads_now(now)) {
    drop_leadership();
    return;
  }
  // Ticks that failed before are planned again with the rest: the misfire policy decides
  // whether a tick retried long after its due time still fires.
  TickPlan plan = PlanTicks(s.trigger, s.spec.misfire, s.last_due, now);
  std::optional<TimePoint> handled;
  for (TimePoint due : plan.fire) {
    Status error;
    const TickResult r = fire_tick(s, due, &error);
    if (r == TickResult::kFenced) {
      // A newer leader exists: it owns the schedule's cursor now, so this node moves nothing.
      drop_leadership();
      return;
    }
    if (r == TickResult::kFailed) {
      // The cursor stays before this tick, so it is retried and never skipped unplanned.
      if (handled) advance_cursor(s, *handled);
      retry_tick(s, now, error);
      return;
    }
    handled = due;
  }
  s.retry_at.reset();
  s.failed_tries = 0;
  s.last_error.clear();
  s.skipped_misfire += plan.skipped;
  counters.ticks_skipped += plan.skipped;
  if (plan.last) advance_cursor(s, *plan.last);
  arm(s);
}

void Scheduler::Impl::advance_cursor(ScheduleState& s, TimePoint due) {
  s.last_due = due;
  s.last_fired = due;
  // If this fails, a restart replans from the older cursor; the ticks' idempotency keys keep
  // it from enqueuing any of them twice.
  if (!store->advance_schedule(s.spec.id, due).ok()) counters.store_errors++;
}

void Scheduler::Impl::retry_tick(ScheduleState& s, TimePoint now, const Status& error) {
  counters.ticks_failed++;
  s.failed_tries++;
  s.last_error = error.ToString();
  Duration delay = kMaxTickRetry;
  if (s.failed_tries <= 20)
    delay = std::min(kMaxTickRetry, kFirstTickRetry * (1 << (s.failed_tries - 1)));
  s.retry_at = now + delay;
  if (options.on_warning) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay).count();
    options.on_warning("schedule " + s.spec.id + ": the store did not take its tick (try " +
                       std::to_string(s.failed_tries) + "): " + s.last_error + "; retrying in " +
                       std::to_string(ms) + " ms");
  }
  arm(s);
}

Scheduler::Impl::TickResult Scheduler::Impl::fire_tick(ScheduleState& s, TimePoint due,
                                                       Status* error) {
  if (s.spec.overlap != OverlapPolicy::kAllow && !s.last_task.empty()) {
    Result<Task> previous = store->get(s.last_task);
    if (!previous.ok() && previous.status().code() != StatusCode::kNotFound) {
      *error = previous.status();  // the overlap policy cannot be applied without it
      return TickResult::kFailed;
    }
    if (previous.ok() && !IsTerminal(previous->state)) {
      if (s.spec.overlap == OverlapPolicy::kForbid) {
        s.skipped_overlap++;
        counters.ticks_skipped++;
        return TickResult::kHandled;
      }
      (void)cancel_task(s.last_task);  // kReplace
    }
  }
  TaskSpec spec = s.spec.task;
  spec.schedule_id = s.spec.id;
  spec.tick_due = due;
  spec.period = s.trigger.period();
  if (s.spec.start_within > Duration::zero()) {
    spec.deadline = SaturatingAdd(due, s.spec.start_within);
  }
  Result<std::vector<EnqueueResult>> r =
      options.coordinator ? store->enqueue_as_leader({&spec, 1}, term) : store->enqueue({&spec, 1});
  if (!r.ok() && r.status().code() == StatusCode::kAborted && options.coordinator) {
    counters.fenced_writes++;
    return TickResult::kFenced;
  }
  if (!r.ok() || r->empty()) {
    *error = r.ok() ? Status(StatusCode::kInternal, "the store returned no result") : r.status();
    return TickResult::kFailed;
  }
  // Not created: a duplicate tick, someone already enqueued it.
  if (!r->front().created) return TickResult::kHandled;
  s.fired++;
  counters.ticks_fired++;
  s.last_task = r->front().id;
  return TickResult::kHandled;
}

Status Scheduler::Impl::check_period(const ScheduleSpec& spec) const {
  const Duration min = options.min_schedule_period;
  const std::string limit =
      "the scheduler's minimum schedule period, " + codec::FormatDuration(min);
  if (spec.every > Duration::zero() && spec.every < min) {
    return InvalidArgument("every", "must be at least " + limit);
  }
  if (!spec.cron.empty()) {
    Result<CronSchedule> cron = CronSchedule::Parse(spec.cron, spec.tz);
    if (!cron.ok()) return cron.status();
    if (cron->min_gap() < min) {
      return InvalidArgument(
          "cron",
          "fires as often as every " + codec::FormatDuration(cron->min_gap()) + ", below " + limit);
    }
  }
  return Status();
}

ScheduleInfo Scheduler::Impl::info_of(const ScheduleState& s) {
  return ScheduleInfo{s.spec,         s.next_due,        s.last_fired,      s.last_task,
                      s.fired,        s.skipped_misfire, s.skipped_overlap, s.measured_wcet,
                      s.failed_tries, s.last_error};
}

void Scheduler::Impl::record_run(const std::string& schedule_id, Duration run) {
  std::lock_guard lock(schedules_mu);
  auto it = schedules.find(schedule_id);
  if (it != schedules.end()) it->second.measured_wcet = std::max(it->second.measured_wcet, run);
}

}  // namespace taskly
