// Refused inputs: each row is a JSON document, the field its error must name (relative to the
// prefix) and a part of the message. Every row runs without a prefix and with one, so each also
// checks that the full path is reported, for codec errors and model validation errors alike.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "codec/codec_test_util.h"
#include "codec/json_codec.h"

namespace taskly::codec {
namespace {

using ::testing::HasSubstr;
using testutil::Utc;

struct Bad {
  std::string json;
  std::string field;  // relative to the prefix; empty: the object itself
  std::string message_part;
};

using Parser = std::function<Status(const Json&, std::string_view prefix)>;

// The field a row's error must name under `prefix`.
std::string FullPath(std::string_view prefix, const std::string& field) {
  if (!field.empty()) return std::string(prefix) + field;
  if (!prefix.empty() && prefix.back() == '.') prefix.remove_suffix(1);
  return std::string(prefix);
}

void ExpectAllRefused(const std::vector<Bad>& rows, const Parser& parse,
                      std::string_view nested_prefix) {
  for (std::string_view prefix : {std::string_view(), nested_prefix}) {
    for (const Bad& row : rows) {
      SCOPED_TRACE("prefix \"" + std::string(prefix) + "\", input " + row.json);
      Status s = parse(Json::parse(row.json), prefix);
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
      EXPECT_EQ(s.field(), FullPath(prefix, row.field)) << s.ToString();
      EXPECT_THAT(s.message(), HasSubstr(row.message_part));
    }
  }
}

const TimePoint kNow = Utc(2026, 3, 8, 7, 30);

// {"type": "t", <member>}: a valid task but for one member.
std::string TaskWith(const std::string& member) { return R"({"type": "t", )" + member + "}"; }

TEST(BadInput, TaskSpec) {
  const std::string long_text(1025, 'k');
  const std::vector<Bad> rows = {
      // Shape.
      {"[]", "", "must be an object"},
      {R"("task")", "", "must be an object"},
      {"{}", "type", "is required"},
      {R"({"type": null})", "type", "is required"},
      {TaskWith(R"("colour": "red")"), "colour", "unknown field"},
      {TaskWith(R"("Type": "t")"), "Type", "unknown field"},
      {TaskWith(R"("id": "t1")"), "id", "unknown field"},
      // type and queue.
      {R"({"type": 1})", "type", "must be a string"},
      {R"({"type": ""})", "type", "is not 1-128 characters"},
      {R"({"type": "a b"})", "type", "is not 1-128 characters"},
      {TaskWith(R"("queue": 5)"), "queue", "must be a string"},
      {TaskWith(R"("queue": "")"), "queue", "is not 1-128 characters"},
      {TaskWith(R"("queue": "mail/high")"), "queue", "is not 1-128 characters"},
      // Integers.
      {TaskWith(R"("priority": "5")"), "priority", "must be an integer"},
      {TaskWith(R"("priority": true)"), "priority", "must be an integer"},
      {TaskWith(R"("priority": 1.5)"), "priority", "no fraction"},
      {TaskWith(R"("priority": 3.0)"), "priority", "no fraction"},
      {TaskWith(R"("priority": 1e3)"), "priority", "no fraction"},
      {TaskWith(R"("priority": 2147483648)"), "priority",
       "must be an integer from -2147483648 to 2147483647"},
      {TaskWith(R"("priority": -2147483649)"), "priority", "from -2147483648 to 2147483647"},
      {TaskWith(R"("max_attempts": 0)"), "max_attempts", "must be an integer from 1 to"},
      {TaskWith(R"("max_attempts": -1)"), "max_attempts", "from 1 to 2147483647"},
      {TaskWith(R"("max_attempts": 18446744073709551615)"), "max_attempts", "from 1 to"},
      // Durations.
      {TaskWith(R"("timeout": 30)"), "timeout", "must be a string holding a duration"},
      {TaskWith(R"("timeout": "1.5s")"), "timeout", "amounts must be integers"},
      {TaskWith(R"("timeout": "-5s")"), "timeout", "must not be negative"},
      {TaskWith(R"("timeout": "5")"), "timeout", "a unit must follow"},
      {TaskWith(R"("timeout": "10x")"), "timeout", "unknown unit"},
      {TaskWith(R"("timeout": "30m1h")"), "timeout", "largest to smallest"},
      {TaskWith(R"("timeout": "")"), "timeout", "it is empty"},
      {TaskWith(R"("timeout": "106752d")"), "timeout", "too large"},
      {TaskWith(R"("unique_ttl": "-1s")"), "unique_ttl", "must not be negative"},
      {TaskWith(R"("unique_ttl": {"s": 1})"), "unique_ttl", "must be a string"},
      // Times.
      {TaskWith(R"("deadline": "2026-03-08 02:30")"), "deadline", "RFC 3339"},
      {TaskWith(R"("deadline": "2026-03-08T02:30:00")"), "deadline", "has no UTC offset"},
      {TaskWith(R"("deadline": "2026-02-30T00:00:00Z")"), "deadline", "not a valid date"},
      {TaskWith(R"("deadline": 1772937000)"), "deadline", "must be a string holding an RFC 3339"},
      {TaskWith(R"("deadline": "9999-01-01T00:00:00Z")"), "deadline", "out of range"},
      {TaskWith(R"("run_at": "tomorrow")"), "run_at", "RFC 3339"},
      // run_at and delay.
      {TaskWith(R"("run_at": "2026-03-09T00:00:00Z", "delay": "5s")"), "delay",
       "cannot be given with run_at"},
      {TaskWith(R"("delay": "soon")"), "delay", "is not a duration"},
      {TaskWith(R"("delay": "-1m")"), "delay", "must not be negative"},
      {TaskWith(R"("delay": "106751d")"), "delay", "must be at most 36500d"},
      // backoff.
      {TaskWith(R"("backoff": "fast")"), "backoff", "must be an object"},
      {TaskWith(R"("backoff": {"initial": "1s", "jitter": true})"), "backoff.jitter",
       "unknown field"},
      {TaskWith(R"("backoff": {"multiplier": "2"})"), "backoff.multiplier", "must be a number"},
      {TaskWith(R"("backoff": {"multiplier": 0.5})"), "backoff.multiplier",
       "must be between 1 and 1000"},
      {TaskWith(R"("backoff": {"initial": "1m", "cap": "1s"})"), "backoff.cap",
       "must not be less than backoff.initial"},
      {TaskWith(R"("backoff": {"cap": "1.5s"})"), "backoff.cap", "amounts must be integers"},
      {TaskWith(R"("backoff": {"initial": 1})"), "backoff.initial", "must be a string"},
      // unique_key and labels.
      {TaskWith(R"("unique_key": 7)"), "unique_key", "must be a string"},
      {TaskWith(R"("unique_key": ")" + long_text + R"(")"), "unique_key", "at most 1024 bytes"},
      {TaskWith(R"("labels": ["a"])"), "labels", "must be an object"},
      {TaskWith(R"("labels": {"team": 5})"), "labels.team", "must be a string"},
      {TaskWith(R"("labels": {"ok": "x", "team": null})"), "labels.team", "must be a string"},
      {TaskWith(R"("labels": {"bad key": "x"})"), "labels.bad key", "is not 1-128 characters"},
      {TaskWith(R"("labels": {"k": ")" + long_text + R"("})"), "labels.k", "at most 1024 bytes"},
      // Fields only schedules set.
      {TaskWith(R"("period": "5m")"), "period", "is set by schedules"},
      {TaskWith(R"("schedule_id": "s")"), "schedule_id", "is set by schedules"},
      {TaskWith(R"("tick_due": "2026-01-01T00:00:00Z")"), "tick_due", "is set by schedules"},
      // Payload forms.
      {TaskWith(R"("payload_format": "hex", "payload": "00")"), "payload_format",
       "expected json, text or base64"},
      {TaskWith(R"("payload_format": 7)"), "payload_format", "must be a string"},
      {TaskWith(R"("payload_format": "text", "payload": {"a": 1})"), "payload",
       "must be a string (payload_format is text)"},
      {TaskWith(R"("payload_format": "base64", "payload": "not base64!")"), "payload",
       "is not valid base64"},
      {TaskWith(R"("payload_format": "base64", "payload": "Zg=")"), "payload",
       "is not valid base64"},
  };
  ASSERT_GE(rows.size(), 40u);
  ExpectAllRefused(
      rows,
      [](const Json& j, std::string_view prefix) {
        return TaskSpecFromJson(j, kNow, prefix).status();
      },
      "tasks[2].");
}

// {"id": "s", "every": "1m", "task": {"type": "t"}, <member>}: valid but for one member.
std::string EveryWith(const std::string& member) {
  return R"({"id": "s", "every": "1m", "task": {"type": "t"}, )" + member + "}";
}
// {"id": "s", "task": {"type": "t"}, <member>}: for the schedule kinds.
std::string KindWith(const std::string& member) {
  return R"({"id": "s", "task": {"type": "t"}, )" + member + "}";
}
// {"id": "s", "every": "1m", "task": {"type": "t", <member>}}: for the task template.
std::string TemplateWith(const std::string& member) {
  return R"({"id": "s", "every": "1m", "task": {"type": "t", )" + member + "}}";
}

TEST(BadInput, ScheduleSpec) {
  const std::vector<Bad> rows = {
      // Shape.
      {"[]", "", "must be an object"},
      {"{}", "id", "is required"},
      {R"({"id": "s", "every": "1m"})", "task", "is required"},
      {EveryWith(R"("colour": "red")"), "colour", "unknown field"},
      {EveryWith(R"("next_due": "2026-01-01T00:00:00Z")"), "next_due", "unknown field"},
      // id.
      {R"({"id": 5, "every": "1m", "task": {"type": "t"}})", "id", "must be a string"},
      {R"({"id": "", "every": "1m", "task": {"type": "t"}})", "id", "is not 1-128 characters"},
      {R"({"id": "my schedule", "every": "1m", "task": {"type": "t"}})", "id",
       "is not 1-128 characters"},
      // Kinds.
      {R"({"id": "s", "task": {"type": "t"}})", "schedule",
       "exactly one of once, every or cron must be given"},
      {KindWith(R"("every": "1m", "cron": "* * * * *")"), "cron", "cannot be given with every"},
      {KindWith(R"("once": "2026-01-01T00:00:00Z", "every": "1m")"), "every",
       "cannot be given with once"},
      {KindWith(R"("every": "0s")"), "every", "must be positive"},
      {KindWith(R"("every": 60)"), "every", "must be a string holding a duration"},
      {KindWith(R"("every": "1.5m")"), "every", "amounts must be integers"},
      {KindWith(R"("once": "2026-01-01 00:00")"), "once", "RFC 3339"},
      {KindWith(R"("once": "2026-01-01T00:00:00Z", "anchor": "2026-01-01T00:00:00Z")"), "anchor",
       "only applies to an `every` schedule"},
      {EveryWith(R"("anchor": "yesterday")"), "anchor", "RFC 3339"},
      {KindWith(R"("cron": "")"), "cron", "must not be empty"},
      {KindWith(R"("cron": 5)"), "cron", "must be a string"},
      {KindWith(R"("cron": "61 * * * *")"), "cron.minute", "61"},
      {KindWith(R"("cron": "0 25 * * *")"), "cron.hour", "25"},
      {KindWith(R"("cron": "0 0 * * MON-XYZ")"), "cron.day_of_week", "XYZ"},
      {KindWith(R"("cron": "* * * *")"), "cron", "expected 5 or 6 fields"},
      {KindWith(R"("cron": "0 0 30 2 *")"), "cron", "never"},
      {KindWith(R"("cron": "* * * * *", "tz": "Mars/Olympus_Mons")"), "tz", "unknown time zone"},
      {KindWith(R"("cron": "* * * * *", "tz": 1)"), "tz", "must be a string"},
      // Misfire and overlap.
      {EveryWith(R"("misfire": "skip")"), "misfire", "must be an object"},
      {EveryWith(R"("misfire": {"retries": 1})"), "misfire.retries", "unknown field"},
      {EveryWith(R"("misfire": {"policy": "sometimes"})"), "misfire.policy",
       "expected fire_once, skip or catch_up"},
      {EveryWith(R"("misfire": {"policy": 1})"), "misfire.policy", "must be a string"},
      {EveryWith(R"("misfire": {"policy": "catch_up", "max_catch_up": 0})"), "misfire.max_catch_up",
       "must be from 1 to 1000"},
      {EveryWith(R"("misfire": {"max_catch_up": 1.5})"), "misfire.max_catch_up", "no fraction"},
      {EveryWith(R"("misfire": {"grace": "-1s"})"), "misfire.grace", "must not be negative"},
      {EveryWith(R"("overlap": "sometimes")"), "overlap", "expected allow, forbid or replace"},
      {EveryWith(R"("overlap": true)"), "overlap", "must be a string"},
      // The task template, nested one level deeper.
      {R"({"id": "s", "every": "1m", "task": "t"})", "task", "must be an object"},
      {R"({"id": "s", "every": "1m", "task": {}})", "task.type", "is required"},
      {TemplateWith(R"("queue": "bad queue")"), "task.queue", "is not 1-128 characters"},
      {TemplateWith(R"("colour": "red")"), "task.colour", "unknown field"},
      {TemplateWith(R"("run_at": "2026-01-01T00:00:00Z")"), "task.run_at", "each tick sets it"},
      {TemplateWith(R"("delay": "1m")"), "task.delay", "each tick sets it"},
      {TemplateWith(R"("period": "1m")"), "task.period", "is set by schedules"},
      {TemplateWith(R"("backoff": {"initial": "1m", "cap": "1ms"})"), "task.backoff.cap",
       "must not be less than backoff.initial"},
      {TemplateWith(R"("backoff": {"multiplier": 1001})"), "task.backoff.multiplier",
       "between 1 and 1000"},
      {TemplateWith(R"("labels": {"k": 1})"), "task.labels.k", "must be a string"},
      {TemplateWith(R"("max_attempts": 0)"), "task.max_attempts", "from 1 to"},
      // The rest.
      {EveryWith(R"("start_within": "-1s")"), "start_within", "must not be negative"},
      {EveryWith(R"("paused": "yes")"), "paused", "must be a boolean"},
      {EveryWith(R"("paused": 1)"), "paused", "must be a boolean"},
      {EveryWith(R"("wcet": "1.5ms")"), "wcet", "amounts must be integers"},
  };
  ASSERT_GE(rows.size(), 40u);
  ExpectAllRefused(
      rows,
      [](const Json& j, std::string_view prefix) {
        return ScheduleSpecFromJson(j, prefix).status();
      },
      "schedules[0].");
}

TEST(BadInput, QueueConfig) {
  const std::vector<Bad> rows = {
      {"[]", "", "must be an object"},
      {R"({"size": 1})", "size", "unknown field"},
      {R"({"policy": "lifo"})", "policy", "expected fifo, priority, edf or rms"},
      {R"({"policy": 1})", "policy", "must be a string"},
      {R"({"aging_step": "-1s"})", "aging_step", "must not be negative"},
      {R"({"aging_step": "1.5s"})", "aging_step", "amounts must be integers"},
      {R"({"aging_step": 30})", "aging_step", "must be a string"},
      {R"({"concurrency": -1})", "concurrency", "must not be negative"},
      {R"({"concurrency": 1.5})", "concurrency", "no fraction"},
      {R"({"concurrency": 4294967296})", "concurrency", "from -2147483648 to 2147483647"},
      {R"({"rate": -1})", "rate", "must be 0 (unlimited) or from 1e-09 to 1e+09 per second"},
      {R"({"rate": "fast"})", "rate", "must be a number"},
      {R"({"burst": -1})", "burst", "must not be negative"},
      {R"({"burst": "10"})", "burst", "must be an integer"},
      {R"({"weight": 0})", "weight", "must be at least 1"},
      {R"({"weight": "2"})", "weight", "must be an integer"},
  };
  ExpectAllRefused(
      rows,
      [](const Json& j, std::string_view prefix) {
        return QueueConfigFromJson(j, QueueConfig{}, prefix).status();
      },
      "queues.mail.");
}

TEST(BadInput, FirstErrorInFieldOrderWins) {
  // An unknown field is reported before any type error; then fields in their documented order.
  Result<TaskSpec> unknown =
      TaskSpecFromJson(Json::parse(R"({"type": 1, "zzz": 1, "queue": 2})"), kNow);
  EXPECT_EQ(unknown.status().field(), "zzz");
  Result<TaskSpec> typed = TaskSpecFromJson(Json::parse(R"({"type": 1, "queue": 2})"), kNow);
  EXPECT_EQ(typed.status().field(), "type");
  // Codec errors come before the model's validation.
  Result<TaskSpec> model =
      TaskSpecFromJson(Json::parse(R"({"type": "a b", "priority": "x"})"), kNow);
  EXPECT_EQ(model.status().field(), "priority");
}

TEST(BadInput, MessagesForWrongTypesNameTheExpectedType) {
  Result<TaskSpec> spec = TaskSpecFromJson(Json::parse(R"({"type": ["t"]})"), kNow, "tasks[2].");
  EXPECT_EQ(spec.status(), InvalidArgument("tasks[2].type", "must be a string"));
  Result<TaskSpec> unknown =
      TaskSpecFromJson(Json::parse(R"({"type": "t", "colour": "red"})"), kNow, "tasks[2].");
  EXPECT_EQ(unknown.status(), InvalidArgument("tasks[2].colour", "unknown field"));
}

}  // namespace
}  // namespace taskly::codec
