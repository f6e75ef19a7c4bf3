// Schedules: each armed schedule has one timer at its next due time. When it fires, the
// schedule plans the ticks due since it last ran (PlanTicks applies the misfire policy), applies
// the overlap policy to each, enqueues it with its idempotency key (schedule id, due), and arms
// the timer for the next due time. Due times come from the trigger (anchor + k*period for
// `every`), never from the time a tick actually fired, so lateness never accumulates.

#include "codec/json_codec.h"
#include "core/engine.h"
#include "core/saturating.h"

namespace taskly {

void Scheduler::Impl::arm(ScheduleState& s) {
  if (s.timer != kNoTimer) timers->cancel(s.timer);
  s.timer = kNoTimer;
  s.next_due = s.spec.paused ? std::nullopt : s.trigger.next_after(s.last_due);
  if (!ticking || !leading || !s.next_due) return;
  s.timer = timers->schedule(*s.next_due, [this, id = s.spec.id] { on_tick(id); });
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
  TickPlan plan = PlanTicks(s.trigger, s.spec.misfire, s.last_due, now);
  for (TimePoint due : plan.fire) {
    if (!fire_tick(s, due)) {
      // A newer leader exists: it owns the schedule's cursor now, so this node moves nothing.
      drop_leadership();
      return;
    }
  }
  s.skipped_misfire += plan.skipped;
  counters.ticks_skipped += plan.skipped;
  if (plan.last) {
    s.last_due = *plan.last;
    s.last_fired = *plan.last;
    // If this fails, a restart replans from the older cursor; the ticks' idempotency keys keep
    // it from enqueuing any of them twice.
    if (!store->advance_schedule(s.spec.id, s.last_due).ok()) counters.store_errors++;
  }
  arm(s);
}

bool Scheduler::Impl::fire_tick(ScheduleState& s, TimePoint due) {
  if (s.spec.overlap != OverlapPolicy::kAllow && !s.last_task.empty()) {
    Result<Task> previous = store->get(s.last_task);
    if (previous.ok() && !IsTerminal(previous->state)) {
      if (s.spec.overlap == OverlapPolicy::kForbid) {
        s.skipped_overlap++;
        counters.ticks_skipped++;
        return true;
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
    return false;
  }
  // Not created: a duplicate tick, someone already enqueued it.
  if (!r.ok() || r->empty() || !r->front().created) return true;
  s.fired++;
  counters.ticks_fired++;
  s.last_task = r->front().id;
  return true;
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
  return ScheduleInfo{s.spec,  s.next_due,        s.last_fired,      s.last_task,
                      s.fired, s.skipped_misfire, s.skipped_overlap, s.measured_wcet};
}

void Scheduler::Impl::record_run(const std::string& schedule_id, Duration run) {
  std::lock_guard lock(schedules_mu);
  auto it = schedules.find(schedule_id);
  if (it != schedules.end()) it->second.measured_wcet = std::max(it->second.measured_wcet, run);
}

}  // namespace taskly
