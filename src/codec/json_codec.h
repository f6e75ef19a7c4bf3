// JSON forms of the task model: one encoding shared by the HTTP API, the CLI and the stores that
// keep documents (schedules in SQLite, tasks in Redis). docs/api.md describes the same forms for
// users.
//
// Parsing is strict: an unknown field, a field of the wrong JSON type, a bad duration or time,
// or a value the model refuses (ValidateTaskSpec, ValidateScheduleSpec, ValidateQueueConfig) is
// InvalidArgument whose field() is the full path of the bad field, `prefix` included
// ("tasks[2].queue", "task.backoff.cap", "misfire.policy"), and whose message says what was
// expected: "unknown field", "must be a string", "must be an integer from 1 to 2147483647"...
// A successful parse returns a value that passes the model's validation. A member whose value
// is null is the same as an absent member. Integers must be JSON integers (no fraction, no
// exponent) within the field's range. When a value that is not an object is given where an
// object is expected, the field is `prefix` without its trailing dot (empty at the top level).
//
// Scalars:
//   duration  a string of one or more <integer><unit> parts, units d h m s ms us ns, largest
//             first and each at most once, e.g. "90s", "1h30m", "250ms"; "0s" is zero; no
//             fractions ("1.5s" is refused: write "1s500ms"), no sign, no blanks; negative and
//             out-of-range (> 2^63-1 ns) durations are refused. Formatted canonically (largest
//             units first, zero parts left out: 5400s is "1h30m"; "0s" for zero).
//   time      an RFC 3339 instant with a "Z" or numeric offset ("2026-11-29T09:00:00+01:00"),
//             fractional seconds up to nanoseconds ("T" and "Z" may be lower case), years 1678
//             to 2261 both as written and in UTC (what int64 nanoseconds since 1970 can hold).
//             Formatted in UTC with "Z" and a fraction only when it is not zero (up to 9 digits,
//             trailing zeros dropped).
//   bytes     payload, result and checkpoint are byte strings. A payload (and a result) is
//             written as the JSON value it holds when it is exactly the compact JSON text of a
//             value (what parsing a value produces, or its exact form, below) other than null (a
//             null member reads as absent), else as a string with "payload_format"
//             ("result_format") "text", or, when it is not valid UTF-8, as base64 with format
//             "base64". On input the format defaults to "json": any JSON value, kept as its
//             compact text (dump()), or, when it holds a number dump() would write otherwise
//             (123456789012345678901234567890, 1.50, 1e2), in its exact form: compact, keys in
//             the order written, numbers as written (codec/raw_json.h; ParseStrictJson with
//             exact_numbers delivers such a value as a raw value, which is taken as it is);
//             "text" takes a string's bytes as they are; "base64" decodes
//             a string (RFC 4648, padded). A checkpoint is always a string: "text" by default,
//             "checkpoint_format": "base64" when not UTF-8. So every byte string round-trips
//             exactly, and a JSON payload reads as JSON.
//   other strings (unique_key, label values, last_error...) are written as JSON strings with any
//             invalid UTF-8 replaced by U+FFFD, so the output always serializes (dump() never
//             throws).
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "taskly/clock.h"
#include "taskly/policy.h"
#include "taskly/schedule.h"
#include "taskly/status.h"
#include "taskly/store.h"
#include "taskly/task.h"

namespace taskly::codec {

using Json = nlohmann::json;

// Parse errors are InvalidArgument naming `field` and quoting (up to 64 bytes of) `text`.
Result<Duration> ParseDuration(std::string_view text, std::string_view field);
// A negative `d` (never valid in the model) is formatted with a leading "-".
std::string FormatDuration(Duration d);
Result<TimePoint> ParseTime(std::string_view text, std::string_view field);
std::string FormatTime(TimePoint t);

// TaskSpec: {"type", "payload", "payload_format", "queue", "priority", "deadline", "timeout",
// "max_attempts", "backoff": {"initial", "cap", "multiplier"}, "run_at" | "delay", "unique_key",
// "unique_ttl", "labels": {string: string}}. "type" is required. "delay" (a duration) means
// run_at = now + delay; giving both is an error. Absent fields keep TaskSpec's defaults. The
// schedule fields (period, schedule_id, tick_due) are not accepted from users ("is set by
// schedules"); TaskSpecToJson emits them only when set. TaskSpecToJson leaves out absent
// optionals and an empty payload or unique_key, and writes every other field.
// FromJson(ToJson(spec)) == spec for every valid spec without schedule fields (whose strings
// other than the payload are valid UTF-8, see above).
Result<TaskSpec> TaskSpecFromJson(const Json& j, TimePoint now, std::string_view prefix = "");
Json TaskSpecToJson(const TaskSpec& spec);

// Task: the spec's fields plus {"id", "state", "seq", "attempts", "lease_token", "enqueued_at",
// "ready_at", "scheduled_for", "started_at", "finished_at", "checkpoint", "checkpoint_format",
// "result", "result_format", "last_error", "worker"}; absent optionals and empty strings are
// left out.
Json TaskToJson(const Task& task);
// The inverse, for stores that keep tasks as documents: TaskFromJson(TaskToJson(t)) == t for
// every task (schedule fields included) whose strings other than payload, result and checkpoint
// are valid UTF-8. Not strict about unknown fields, and the model's validation is not run (a
// stored task was validated when it was enqueued); "id", "type" and "state" are required, and a
// field of the wrong type is InvalidArgument naming it.
Result<Task> TaskFromJson(const Json& j);

// ScheduleSpec: {"id", "once" | "every" (+ "anchor") | "cron" (+ "tz"), "misfire": {"policy":
// "fire_once"|"skip"|"catch_up", "max_catch_up", "grace"}, "overlap": "allow"|"forbid"|"replace",
// "task": TaskSpec, "start_within", "paused", "wcet"}. "id" and "task" are required; the task
// template refuses "run_at" and "delay" (each tick sets them). "every": "0s" is "must be
// positive"; giving two of once/every/cron names the second. ScheduleSpecToJson writes every
// field ("tz" with "cron" or when not "UTC", "anchor" when set), and
// ScheduleSpecFromJson(ScheduleSpecToJson(spec)) == spec for every valid spec (with the same
// UTF-8 proviso).
Result<ScheduleSpec> ScheduleSpecFromJson(const Json& j, std::string_view prefix = "");
Json ScheduleSpecToJson(const ScheduleSpec& spec);
// ScheduleInfo: the spec's fields plus {"next_due", "last_due", "last_task", "fired",
// "skipped_misfire", "skipped_overlap", "measured_wcet"}.
Json ScheduleInfoToJson(const ScheduleInfo& info);

// QueueConfig: {"policy": "fifo"|"priority"|"edf"|"rms", "aging_step", "concurrency", "rate",
// "burst", "weight"}. Fields absent from `j` keep their value in `base` (a partial update).
// "rate" is any JSON number; the others are integers or durations as above.
Result<QueueConfig> QueueConfigFromJson(const Json& j, const QueueConfig& base,
                                        std::string_view prefix = "");
Json QueueConfigToJson(const QueueConfig& config);
// QueueInfo: {"name", "paused", "config": QueueConfig, "counts": {"scheduled", "pending",
// "active", "succeeded", "dead", "cancelled", "expired"}, "deadline_misses"}.
Json QueueInfoToJson(const QueueInfo& info);

}  // namespace taskly::codec
