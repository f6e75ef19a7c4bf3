// TaskSpec and Task as JSON (see json_codec.h for the forms).
#include <limits>

#include "codec/field_reader.h"
#include "codec/json_codec.h"
#include "codec/task_fields.h"
#include "codec/text.h"

namespace taskly::codec {
namespace internal {

void ReadTaskSpec(FieldReader& r, SpecSource source, TimePoint now, TaskSpec* spec) {
  if (source != SpecSource::kStored) {
    r.RejectUnknown({"type", "payload", "payload_format", "queue", "priority", "deadline",
                     "timeout", "max_attempts", "backoff", "run_at", "delay", "unique_key",
                     "unique_ttl", "labels", "period", "schedule_id", "tick_due"});
    for (std::string_view name : {"period", "schedule_id", "tick_due"}) {
      if (r.Has(name)) r.Fail(name, "is set by schedules and cannot be given");
    }
    if (source == SpecSource::kTemplate) {
      for (std::string_view name : {"run_at", "delay"}) {
        if (r.Has(name)) r.Fail(name, "cannot be given in a schedule's task (each tick sets it)");
      }
    }
  }
  r.Require("type");
  r.ReadString("type", &spec->type);
  r.ReadBytes("payload", &spec->payload, /*json_values=*/true);
  r.ReadString("queue", &spec->queue);
  r.ReadInt32("priority", &spec->priority);
  r.ReadTime("deadline", &spec->deadline);
  r.ReadDuration("timeout", &spec->timeout);
  r.ReadInt32("max_attempts", &spec->max_attempts, 1);
  {
    FieldReader backoff = r.Object("backoff");
    if (source != SpecSource::kStored) backoff.RejectUnknown({"initial", "cap", "multiplier"});
    backoff.ReadDuration("initial", &spec->backoff.initial);
    backoff.ReadDuration("cap", &spec->backoff.cap);
    backoff.ReadNumber("multiplier", &spec->backoff.multiplier);
  }
  r.ReadTime("run_at", &spec->run_at);
  if (source == SpecSource::kUser && r.Has("delay")) {
    if (r.Has("run_at")) r.Fail("delay", "cannot be given with run_at");
    Duration delay{};
    r.ReadDuration("delay", &delay);
    if (r.ok()) r.Record(ValidateDuration(delay, r.Path("delay")));
    if (r.ok()) {
      const int64_t limit = std::numeric_limits<int64_t>::max() - delay.count();
      if (now.time_since_epoch().count() > limit) {
        r.Fail("delay", "is too large: now + delay is out of range");
      } else {
        spec->run_at = now + delay;
      }
    }
  }
  r.ReadString("unique_key", &spec->unique_key);
  r.ReadDuration("unique_ttl", &spec->unique_ttl);
  r.ReadStringMap("labels", &spec->labels);
  if (source == SpecSource::kStored) {
    r.ReadDuration("period", &spec->period);
    r.ReadString("schedule_id", &spec->schedule_id);
    r.ReadTime("tick_due", &spec->tick_due);
  }
}

}  // namespace internal

using internal::FieldReader;
using internal::Text;
using internal::WriteBytes;

Result<TaskSpec> TaskSpecFromJson(const Json& j, TimePoint now, std::string_view prefix) {
  FieldReader r(j, std::string(prefix));
  TaskSpec spec;
  internal::ReadTaskSpec(r, internal::SpecSource::kUser, now, &spec);
  if (!r.ok()) return r.status();
  if (Status s = ValidateTaskSpec(spec); !s.ok()) return internal::Prefixed(s, prefix);
  return spec;
}

Json TaskSpecToJson(const TaskSpec& spec) {
  Json j = Json::object();
  j["type"] = Text(spec.type);
  WriteBytes(j, "payload", spec.payload, /*json_values=*/true);
  j["queue"] = Text(spec.queue);
  j["priority"] = spec.priority;
  if (spec.deadline) j["deadline"] = FormatTime(*spec.deadline);
  j["timeout"] = FormatDuration(spec.timeout);
  j["max_attempts"] = spec.max_attempts;
  j["backoff"] = {{"initial", FormatDuration(spec.backoff.initial)},
                  {"cap", FormatDuration(spec.backoff.cap)},
                  {"multiplier", spec.backoff.multiplier}};
  if (spec.run_at) j["run_at"] = FormatTime(*spec.run_at);
  if (!spec.unique_key.empty()) j["unique_key"] = Text(spec.unique_key);
  j["unique_ttl"] = FormatDuration(spec.unique_ttl);
  Json labels = Json::object();
  for (const auto& [key, value] : spec.labels) {
    labels[Text(key).get<std::string>()] = Text(value);
  }
  j["labels"] = std::move(labels);
  if (spec.period != Duration::zero()) j["period"] = FormatDuration(spec.period);
  if (!spec.schedule_id.empty()) j["schedule_id"] = Text(spec.schedule_id);
  if (spec.tick_due) j["tick_due"] = FormatTime(*spec.tick_due);
  return j;
}

Json TaskToJson(const Task& task) {
  Json j = TaskSpecToJson(task.spec);
  j["id"] = Text(task.id);
  j["state"] = TaskStateName(task.state);
  j["seq"] = task.seq;
  j["attempts"] = task.attempts;
  j["lease_token"] = task.lease_token;
  j["enqueued_at"] = FormatTime(task.enqueued_at);
  j["ready_at"] = FormatTime(task.ready_at);
  if (task.scheduled_for) j["scheduled_for"] = FormatTime(*task.scheduled_for);
  if (task.started_at) j["started_at"] = FormatTime(*task.started_at);
  if (task.finished_at) j["finished_at"] = FormatTime(*task.finished_at);
  WriteBytes(j, "checkpoint", task.checkpoint, /*json_values=*/false);
  WriteBytes(j, "result", task.result, /*json_values=*/true);
  if (!task.last_error.empty()) j["last_error"] = Text(task.last_error);
  if (!task.worker.empty()) j["worker"] = Text(task.worker);
  return j;
}

Result<Task> TaskFromJson(const Json& j) {
  FieldReader r(j, "");
  Task task;
  r.Require("id");
  r.Require("state");
  r.ReadString("id", &task.id);
  r.ReadEnum("state", &task.state, ParseTaskState);
  internal::ReadTaskSpec(r, internal::SpecSource::kStored, TimePoint{}, &task.spec);
  r.ReadUint64("seq", &task.seq);
  r.ReadInt32("attempts", &task.attempts, 0);
  r.ReadUint64("lease_token", &task.lease_token);
  r.ReadTime("enqueued_at", &task.enqueued_at);
  r.ReadTime("ready_at", &task.ready_at);
  r.ReadTime("scheduled_for", &task.scheduled_for);
  r.ReadTime("started_at", &task.started_at);
  r.ReadTime("finished_at", &task.finished_at);
  r.ReadBytes("checkpoint", &task.checkpoint, /*json_values=*/false);
  r.ReadBytes("result", &task.result, /*json_values=*/true);
  r.ReadString("last_error", &task.last_error);
  r.ReadString("worker", &task.worker);
  if (!r.ok()) return r.status();
  return task;
}

}  // namespace taskly::codec
