#include "time/trigger.h"

#include <algorithm>

#include "core/saturating.h"

namespace taskly {

Result<Trigger> Trigger::Make(const ScheduleSpec& spec, TimePoint added) {
  Trigger t;
  if (spec.once) {
    t.once_ = spec.once;
  } else if (spec.every > Duration::zero()) {
    t.every_ = spec.every;
    t.anchor_ = spec.anchor.value_or(added);
    t.period_ = spec.every;
  } else {
    Result<CronSchedule> cron = CronSchedule::Parse(spec.cron, spec.tz);
    if (!cron.ok()) return cron.status();
    t.cron_ = std::move(*cron);
    // The nominal period: the gap between the first two fires after the schedule is added.
    std::optional<TimePoint> a = t.cron_->next(added);
    std::optional<TimePoint> b = a ? t.cron_->next(*a) : std::nullopt;
    if (a && b) t.period_ = *b - *a;
  }
  return t;
}

std::optional<TimePoint> Trigger::next_after(TimePoint t) const {
  if (once_) return t < *once_ ? once_ : std::nullopt;
  if (cron_) return cron_->next(t);
  // Fixed rate: the k-th tick (k >= 1) is at anchor + k*period, computed from k, never by
  // adding a period to the previous fire, so lateness cannot accumulate. A tick beyond
  // TimePoint's range does not exist.
  std::optional<TimePoint> first = CheckedAdd(anchor_, every_);
  if (!first || t < *first) return first;
  int64_t k = SaturatingSub(t, anchor_) / every_ + 1;
  Duration::rep offset = 0;
  if (__builtin_mul_overflow(k, every_.count(), &offset)) return std::nullopt;
  return CheckedAdd(anchor_, Duration(offset));
}

Trigger::Window Trigger::window(TimePoint after, TimePoint upto, size_t keep,
                                int64_t max_scan) const {
  Window w;
  if (upto <= after) return w;
  if (every_ > Duration::zero()) {
    std::optional<TimePoint> first = next_after(after);
    if (!first || *first > upto) return w;
    int64_t k_first = (*first - anchor_) / every_;
    int64_t k_last = (upto - anchor_) / every_;
    w.count = k_last - k_first + 1;
    int64_t from = std::max(k_first, k_last - static_cast<int64_t>(keep) + 1);
    for (int64_t k = from; k <= k_last; ++k) w.last.push_back(anchor_ + k * every_);
    w.latest = anchor_ + k_last * every_;
    return w;
  }
  std::optional<TimePoint> t = after;
  while (w.count < max_scan && (t = next_after(*t)) && *t <= upto) {
    w.count++;
    w.latest = *t;
    if (keep > 0) {
      w.last.push_back(*t);
      if (w.last.size() > keep) w.last.erase(w.last.begin());
    }
  }
  return w;
}

TickPlan PlanTicks(const Trigger& trigger, const Misfire& misfire, TimePoint last_due,
                   TimePoint now, int64_t max_scan) {
  TickPlan plan;
  TimePoint cutoff = now - misfire.grace;  // due before this: misfired
  // Misfired ticks: (last_due, cutoff - 1ns], keeping as many as the policy may fire.
  size_t keep = 0;
  if (misfire.policy == MisfirePolicy::kFireOnce) keep = 1;
  if (misfire.policy == MisfirePolicy::kCatchUp) keep = static_cast<size_t>(misfire.max_catch_up);
  TimePoint misfired_upto = std::max(last_due, cutoff - Duration(1));
  Trigger::Window missed = trigger.window(last_due, misfired_upto, keep, max_scan);
  plan.fire = missed.last;
  plan.skipped = missed.count - static_cast<int64_t>(missed.last.size());
  // On-time ticks: all of them fire.
  Trigger::Window on_time =
      trigger.window(misfired_upto, now, static_cast<size_t>(max_scan), max_scan);
  plan.fire.insert(plan.fire.end(), on_time.last.begin(), on_time.last.end());
  plan.last = on_time.latest ? on_time.latest : missed.latest;
  return plan;
}

}  // namespace taskly
