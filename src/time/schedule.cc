#include "taskly/schedule.h"

#include <array>

#include "taskly/cron.h"

namespace taskly {
namespace {

constexpr std::array<std::string_view, 3> kMisfireNames = {"fire_once", "skip", "catch_up"};
constexpr std::array<std::string_view, 3> kOverlapNames = {"allow", "forbid", "replace"};

template <typename E, size_t N>
Result<E> ParseName(const std::array<std::string_view, N>& names, std::string_view name,
                    std::string_view field) {
  std::string expected;
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
    expected += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(names[i]);
  }
  return InvalidArgument(std::string(field),
                         "unknown value '" + std::string(name) + "' (expected " + expected + ")");
}

}  // namespace

std::string_view MisfirePolicyName(MisfirePolicy p) {
  return kMisfireNames[static_cast<size_t>(p)];
}
std::string_view OverlapPolicyName(OverlapPolicy p) {
  return kOverlapNames[static_cast<size_t>(p)];
}

Result<MisfirePolicy> ParseMisfirePolicy(std::string_view name, std::string_view field) {
  return ParseName<MisfirePolicy>(kMisfireNames, name, field);
}

Result<OverlapPolicy> ParseOverlapPolicy(std::string_view name, std::string_view field) {
  return ParseName<OverlapPolicy>(kOverlapNames, name, field);
}

Status ValidateScheduleSpec(const ScheduleSpec& spec) {
  if (Status s = ValidateName(spec.id, "id"); !s.ok()) return s;
  int kinds =
      (spec.once ? 1 : 0) + (spec.every != Duration::zero() ? 1 : 0) + (spec.cron.empty() ? 0 : 1);
  if (kinds != 1) {
    return InvalidArgument("schedule", "exactly one of once, every or cron must be given");
  }
  if (spec.every < Duration::zero()) return InvalidArgument("every", "must be positive");
  if (Status s = ValidateDuration(spec.every, "every"); !s.ok()) return s;
  if (spec.once) {
    if (Status s = ValidateTime(*spec.once, "once"); !s.ok()) return s;
  }
  if (spec.anchor) {
    if (Status s = ValidateTime(*spec.anchor, "anchor"); !s.ok()) return s;
  }
  if (spec.anchor && spec.every == Duration::zero()) {
    return InvalidArgument("anchor", "only applies to an `every` schedule");
  }
  if (!spec.cron.empty()) {
    if (Status s = CronSchedule::Parse(spec.cron, spec.tz).status(); !s.ok()) return s;
  }
  // Checked whatever the policy, so that a spec never holds a value its documentation refuses.
  if (spec.misfire.max_catch_up < 1 || spec.misfire.max_catch_up > kMaxCatchUp) {
    return InvalidArgument("misfire.max_catch_up",
                           "must be from 1 to " + std::to_string(kMaxCatchUp));
  }
  if (Status s = ValidateDuration(spec.wcet, "wcet"); !s.ok()) return s;
  if (Status s = ValidateDuration(spec.start_within, "start_within"); !s.ok()) return s;
  if (Status s = ValidateDuration(spec.misfire.grace, "misfire.grace"); !s.ok()) return s;
  if (Status s = ValidateTaskSpec(spec.task); !s.ok()) {
    return InvalidArgument("task." + s.field(), s.message());
  }
  if (spec.task.run_at || spec.task.tick_due || !spec.task.schedule_id.empty()) {
    return InvalidArgument("task", "run_at, schedule_id and tick_due are set per tick");
  }
  return Status();
}

}  // namespace taskly
