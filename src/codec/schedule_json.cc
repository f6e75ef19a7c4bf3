// ScheduleSpec and ScheduleInfo as JSON (see json_codec.h for the forms).
#include "codec/field_reader.h"
#include "codec/json_codec.h"
#include "codec/task_fields.h"
#include "codec/text.h"

namespace taskly::codec {

using internal::FieldReader;
using internal::Text;

Result<ScheduleSpec> ScheduleSpecFromJson(const Json& j, std::string_view prefix) {
  FieldReader r(j, std::string(prefix));
  r.RejectUnknown({"id", "once", "every", "anchor", "cron", "tz", "misfire", "overlap", "task",
                   "start_within", "paused", "wcet"});
  ScheduleSpec spec;
  r.Require("id");
  r.ReadString("id", &spec.id);
  // The model's own error for two kinds names no field; name the second one given.
  std::string_view given;
  for (std::string_view kind : {"once", "every", "cron"}) {
    if (!r.Has(kind)) continue;
    if (!given.empty()) {
      r.Fail(kind, "cannot be given with " + std::string(given) +
                       " (a schedule is one of once, every or cron)");
    }
    given = kind;
  }
  r.ReadTime("once", &spec.once);
  r.ReadDuration("every", &spec.every);
  // Zero is how the model spells "not an every schedule"; given explicitly it is a mistake.
  if (r.Has("every") && spec.every == Duration::zero()) r.Fail("every", "must be positive");
  r.ReadTime("anchor", &spec.anchor);
  r.ReadString("cron", &spec.cron);
  if (r.Has("cron") && spec.cron.empty()) r.Fail("cron", "must not be empty");
  r.ReadString("tz", &spec.tz);
  {
    FieldReader misfire = r.Object("misfire");
    misfire.RejectUnknown({"policy", "max_catch_up", "grace"});
    misfire.ReadEnum("policy", &spec.misfire.policy, ParseMisfirePolicy);
    misfire.ReadInt32("max_catch_up", &spec.misfire.max_catch_up);
    misfire.ReadDuration("grace", &spec.misfire.grace);
  }
  r.ReadEnum("overlap", &spec.overlap, ParseOverlapPolicy);
  r.Require("task");
  {
    FieldReader task = r.Object("task");
    internal::ReadTaskSpec(task, internal::SpecSource::kTemplate, TimePoint{}, &spec.task);
  }
  r.ReadDuration("start_within", &spec.start_within);
  r.ReadBool("paused", &spec.paused);
  r.ReadDuration("wcet", &spec.wcet);
  if (!r.ok()) return r.status();
  if (Status s = ValidateScheduleSpec(spec); !s.ok()) return internal::Prefixed(s, prefix);
  return spec;
}

Json ScheduleSpecToJson(const ScheduleSpec& spec) {
  Json j = Json::object();
  j["id"] = Text(spec.id);
  if (spec.once) j["once"] = FormatTime(*spec.once);
  if (spec.every != Duration::zero()) j["every"] = FormatDuration(spec.every);
  if (spec.anchor) j["anchor"] = FormatTime(*spec.anchor);
  if (!spec.cron.empty()) j["cron"] = Text(spec.cron);
  if (!spec.cron.empty() || spec.tz != ScheduleSpec().tz) j["tz"] = Text(spec.tz);
  j["misfire"] = {{"policy", MisfirePolicyName(spec.misfire.policy)},
                  {"max_catch_up", spec.misfire.max_catch_up},
                  {"grace", FormatDuration(spec.misfire.grace)}};
  j["overlap"] = OverlapPolicyName(spec.overlap);
  j["task"] = TaskSpecToJson(spec.task);
  j["start_within"] = FormatDuration(spec.start_within);
  j["paused"] = spec.paused;
  j["wcet"] = FormatDuration(spec.wcet);
  return j;
}

Json ScheduleInfoToJson(const ScheduleInfo& info) {
  Json j = ScheduleSpecToJson(info.spec);
  if (info.next_due) j["next_due"] = FormatTime(*info.next_due);
  if (info.last_due) j["last_due"] = FormatTime(*info.last_due);
  if (!info.last_task.empty()) j["last_task"] = Text(info.last_task);
  j["fired"] = info.fired;
  j["skipped_misfire"] = info.skipped_misfire;
  j["skipped_overlap"] = info.skipped_overlap;
  j["measured_wcet"] = FormatDuration(info.measured_wcet);
  if (info.failed_tries > 0) {
    j["failed_tries"] = info.failed_tries;
    j["last_error"] = Text(info.last_error);
  }
  return j;
}

}  // namespace taskly::codec
