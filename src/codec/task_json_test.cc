// TaskSpec and Task as JSON: defaults, the exact output form, round trips, payload forms, delay.
// Refused inputs are in bad_input_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "codec/codec_test_util.h"
#include "codec/json_codec.h"
#include "codec/raw_json.h"
#include "codec/strict_json.h"

namespace taskly::codec {
namespace {

using namespace std::chrono_literals;
using testutil::ExpectSpecEq;
using testutil::ExpectTaskEq;
using testutil::Utc;

const TimePoint kNow = Utc(2026, 3, 8, 7, 30);

// Every field a user may set, away from its default.
TaskSpec FullSpec() {
  TaskSpec spec;
  spec.type = "email.send";
  spec.payload = R"({"n":[1,2.5,null],"to":"a@b.c"})";
  spec.queue = "mail:high-1.x";
  spec.priority = -7;
  spec.deadline = kNow + 1h + 123456789ns;
  spec.timeout = 42s;
  spec.max_attempts = 9;
  spec.backoff = Backoff{250ms, 90s, 3.5};
  spec.run_at = kNow + 5min;
  spec.unique_key = "user-17/welcome";
  spec.unique_ttl = 15min;
  spec.labels = {{"tenant", "acme"}, {"tier", "gold"}};
  return spec;
}

// FullSpec with the schedule fields set too, as a store sees a tick's task.
TaskSpec FullTickSpec() {
  TaskSpec spec = FullSpec();
  spec.period = 5min;
  spec.schedule_id = "sched-9";
  spec.tick_due = kNow - 1s;
  return spec;
}

Task FullTask() {
  Task task;
  task.id = "01JNX7Q8ZK3M4N5P6R7S8T9V0W";
  task.spec = FullTickSpec();
  task.spec.payload = std::string("{\"a\":1}\0tail\xff", 13);
  task.state = TaskState::kActive;
  task.seq = 18446744073709551615u;
  task.attempts = 2;
  task.lease_token = 77;
  task.enqueued_at = kNow - 10s;
  task.ready_at = kNow - 9s;
  task.scheduled_for = kNow - 9s;
  task.started_at = kNow - 1s;
  task.finished_at = kNow;
  task.checkpoint = std::string("\x00\x01page=3\xfe", 9);
  task.result = "done";  // plain text, not JSON
  task.last_error = "lease expired";
  task.worker = "node-1/worker-3";
  return task;
}

Result<TaskSpec> Parse(std::string_view json, std::string_view prefix = "") {
  return TaskSpecFromJson(Json::parse(json), kNow, prefix);
}

TEST(TaskSpecJson, OnlyTypeGivesTheDefaults) {
  Result<TaskSpec> spec = Parse(R"({"type": "noop"})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  TaskSpec want;
  want.type = "noop";
  ExpectSpecEq(*spec, want);
}

TEST(TaskSpecJson, NullIsTheSameAsAbsent) {
  Result<TaskSpec> spec = Parse(
      R"({"type": "noop", "queue": null, "deadline": null, "backoff": null, "labels": null,
          "payload": null, "delay": null, "priority": null})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  TaskSpec want;
  want.type = "noop";
  ExpectSpecEq(*spec, want);
}

TEST(TaskSpecJson, ReadsEveryField) {
  Result<TaskSpec> spec = Parse(R"({
      "type": "email.send", "payload": {"to": "a@b.c", "n": [1, 2.5, null]},
      "queue": "mail:high-1.x", "priority": -7, "deadline": "2026-03-08T03:30:00.123456789-05:00",
      "timeout": "42s", "max_attempts": 9,
      "backoff": {"initial": "250ms", "cap": "1m30s", "multiplier": 3.5},
      "run_at": "2026-03-08T07:35:00Z", "unique_key": "user-17/welcome", "unique_ttl": "15m",
      "labels": {"tenant": "acme", "tier": "gold"}})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ExpectSpecEq(*spec, FullSpec());
}

TEST(TaskSpecJson, PartialBackoffKeepsTheOtherDefaults) {
  Result<TaskSpec> spec = Parse(R"({"type": "t", "backoff": {"cap": "1h"}})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->backoff.initial, 1s);
  EXPECT_EQ(spec->backoff.cap, 1h);
  EXPECT_EQ(spec->backoff.multiplier, 2.0);
}

TEST(TaskSpecJson, MultiplierAndIntegersAcceptTheirJsonForms) {
  Result<TaskSpec> spec =
      Parse(R"({"type": "t", "backoff": {"multiplier": 3}, "priority": 2147483647,
                "max_attempts": 2147483647})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->backoff.multiplier, 3.0);
  EXPECT_EQ(spec->priority, 2147483647);
  EXPECT_EQ(spec->max_attempts, 2147483647);
  Result<TaskSpec> low = Parse(R"({"type": "t", "priority": -2147483648})");
  ASSERT_TRUE(low.ok()) << low.status().ToString();
  EXPECT_EQ(low->priority, -2147483648);
}

TEST(TaskSpecJson, DelayIsRelativeToNow) {
  Result<TaskSpec> spec = Parse(R"({"type": "t", "delay": "1h30m"})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->run_at, kNow + 90min);
  Result<TaskSpec> zero = Parse(R"({"type": "t", "delay": "0s"})");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->run_at, kNow);
}

TEST(TaskSpecJson, PayloadKeepsTheCompactJsonText) {
  struct Case {
    const char* payload_json;
    std::string want;
  };
  const std::vector<Case> cases = {
      {R"({"b": 1, "a": [true, false]})", R"({"a":[true,false],"b":1})"},
      {R"("hello")", R"("hello")"},
      {"42", "42"},
      {"-0.5", "-0.5"},
      {"[]", "[]"},
      {R"("")", R"("")"},
      {R"("caf\u00e9")", "\"caf\xC3\xA9\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.payload_json);
    Result<TaskSpec> spec =
        Parse(std::string(R"({"type": "t", "payload": )") + c.payload_json + "}");
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    EXPECT_EQ(spec->payload, c.want);
  }
}

TEST(TaskSpecJson, APayloadsNumbersTravelAsWritten) {
  // As the server reads a body: numbers in a payload kept as written (raw_json.h).
  const std::string payload = R"({"n":123456789012345678901234567890,"f":[1.50,1e2]})";
  Result<Json> body =
      ParseStrictJson(R"({"type": "t", "payload": )" + payload + "}",
                      {.exact_numbers = StrictJsonOptions::ExactNumbers::kInPayloads});
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  Result<TaskSpec> spec = TaskSpecFromJson(*body, kNow);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->payload, payload);
  // Written back as that value, and read back to the same bytes.
  EXPECT_THAT(DumpJson(TaskSpecToJson(*spec)),
              ::testing::HasSubstr(R"("payload":)" + payload + ","));
  Result<TaskSpec> again = TaskSpecFromJson(TaskSpecToJson(*spec), kNow);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->payload, payload);
  // A raw value is JSON: as text it is refused.
  Result<Json> as_text =
      ParseStrictJson(R"({"type": "t", "payload": 1.50, "payload_format": "text"})",
                      {.exact_numbers = StrictJsonOptions::ExactNumbers::kInPayloads});
  EXPECT_EQ(TaskSpecFromJson(*as_text, kNow).status().field(), "payload");
}

TEST(TaskSpecJson, PayloadFormatsTextAndBase64TakeRawBytes) {
  Result<TaskSpec> text =
      Parse(R"({"type": "t", "payload": "plain words", "payload_format": "text"})");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->payload, "plain words");
  Result<TaskSpec> binary =
      Parse(R"({"type": "t", "payload": "AP8=", "payload_format": "base64"})");
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  EXPECT_EQ(binary->payload, std::string("\0\xff", 2));
  Result<TaskSpec> json = Parse(R"({"type": "t", "payload": [1], "payload_format": "json"})");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(json->payload, "[1]");
}

TEST(TaskSpecJson, ExactOutputOfADefaultSpec) {
  TaskSpec spec;
  spec.type = "noop";
  EXPECT_EQ(TaskSpecToJson(spec), Json::parse(R"({
      "type": "noop", "queue": "default", "priority": 0, "timeout": "0s", "max_attempts": 3,
      "backoff": {"initial": "1s", "cap": "10m", "multiplier": 2.0}, "unique_ttl": "0s",
      "labels": {}})"));
}

TEST(TaskSpecJson, ExactOutputOfAFullTickSpec) {
  EXPECT_EQ(TaskSpecToJson(FullTickSpec()), Json::parse(R"({
      "type": "email.send", "payload": {"n": [1, 2.5, null], "to": "a@b.c"},
      "queue": "mail:high-1.x", "priority": -7, "deadline": "2026-03-08T08:30:00.123456789Z",
      "timeout": "42s", "max_attempts": 9,
      "backoff": {"initial": "250ms", "cap": "1m30s", "multiplier": 3.5},
      "run_at": "2026-03-08T07:35:00Z", "unique_key": "user-17/welcome", "unique_ttl": "15m",
      "labels": {"tenant": "acme", "tier": "gold"},
      "period": "5m", "schedule_id": "sched-9", "tick_due": "2026-03-08T07:29:59Z"})"));
}

TEST(TaskSpecJson, RoundTripsEveryUserField) {
  const TaskSpec spec = FullSpec();
  Result<TaskSpec> back = TaskSpecFromJson(TaskSpecToJson(spec), kNow);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSpecEq(*back, spec);
  // And through text, as the HTTP API and the stores carry it.
  Result<TaskSpec> via_text = TaskSpecFromJson(Json::parse(TaskSpecToJson(spec).dump()), kNow);
  ASSERT_TRUE(via_text.ok()) << via_text.status().ToString();
  ExpectSpecEq(*via_text, spec);
}

TEST(TaskSpecJson, RoundTripsEveryKindOfPayloadExactly) {
  const std::vector<std::string> payloads = {
      "",
      R"({"a":1})",
      R"({"b": 1, "a": 2})",
      "hello",
      R"("hello")",
      "42",
      " 42",
      "null",
      std::string("{\"a\":1}\0tail\xff", 13),
      "caf\xC3\xA9",
      std::string(1, '\0'),
  };
  for (const std::string& payload : payloads) {
    SCOPED_TRACE(payload);
    TaskSpec spec;
    spec.type = "t";
    spec.payload = payload;
    const std::string text = TaskSpecToJson(spec).dump();
    Result<TaskSpec> back = TaskSpecFromJson(Json::parse(text), kNow);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->payload, payload) << text;
  }
}

TEST(TaskSpecJson, OutputAlwaysSerializesEvenWithInvalidUtf8) {
  TaskSpec spec;
  spec.type = "t";
  spec.unique_key = "key\xff";
  spec.labels = {{"k", "v\xfe"}};
  const Json j = TaskSpecToJson(spec);
  std::string text;
  ASSERT_NO_THROW(text = j.dump());
  EXPECT_EQ(j.at("unique_key"), "key\xEF\xBF\xBD");
  EXPECT_EQ(j.at("labels").at("k"), "v\xEF\xBF\xBD");
}

TEST(TaskSpecJson, RefusesInvalidUtf8InAJsonBuiltInCpp) {
  Json j = {{"type", "t"}, {"payload", {{"k", "\xff"}}}};
  Result<TaskSpec> spec = TaskSpecFromJson(j, kNow);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().field(), "payload");
  EXPECT_EQ(spec.status().message(), "must be valid UTF-8");
}

TEST(TaskJson, ExactOutputOfATask) {
  Task task;
  task.id = "t1";
  task.spec.type = "noop";
  task.state = TaskState::kSucceeded;
  task.seq = 5;
  task.attempts = 1;
  task.lease_token = 3;
  task.enqueued_at = kNow;
  task.ready_at = kNow;
  task.started_at = kNow + 1s;
  task.finished_at = kNow + 1500ms;
  task.result = R"({"ok":true})";
  EXPECT_EQ(TaskToJson(task), Json::parse(R"({
      "id": "t1", "state": "succeeded", "seq": 5, "attempts": 1, "lease_token": 3,
      "enqueued_at": "2026-03-08T07:30:00Z", "ready_at": "2026-03-08T07:30:00Z",
      "started_at": "2026-03-08T07:30:01Z", "finished_at": "2026-03-08T07:30:01.5Z",
      "result": {"ok": true},
      "type": "noop", "queue": "default", "priority": 0, "timeout": "0s", "max_attempts": 3,
      "backoff": {"initial": "1s", "cap": "10m", "multiplier": 2.0}, "unique_ttl": "0s",
      "labels": {}})"));
}

TEST(TaskJson, RoundTripsEveryFieldForStores) {
  const Task task = FullTask();
  const Json j = TaskToJson(task);
  EXPECT_EQ(j.at("payload_format"), "base64");
  EXPECT_EQ(j.at("checkpoint_format"), "base64");
  EXPECT_EQ(j.at("result"), "done");
  EXPECT_EQ(j.at("result_format"), "text");
  Result<Task> back = TaskFromJson(Json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectTaskEq(*back, task);
}

TEST(TaskJson, RoundTripsEveryState) {
  for (TaskState state :
       {TaskState::kScheduled, TaskState::kPending, TaskState::kActive, TaskState::kSucceeded,
        TaskState::kDead, TaskState::kCancelled, TaskState::kExpired}) {
    Task task;
    task.id = "t";
    task.spec.type = "noop";
    task.state = state;
    Result<Task> back = TaskFromJson(TaskToJson(task));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->state, state);
  }
}

TEST(TaskJson, FromJsonIgnoresUnknownFieldsButNotWrongTypes) {
  Result<Task> task = TaskFromJson(
      Json::parse(R"({"id": "t", "type": "noop", "state": "pending", "added_later": 1})"));
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  EXPECT_EQ(task->id, "t");

  struct Case {
    const char* json;
    const char* field;
  };
  const std::vector<Case> bad = {
      {R"({"type": "noop", "state": "pending"})", "id"},
      {R"({"id": "t", "type": "noop"})", "state"},
      {R"({"id": "t", "state": "pending"})", "type"},
      {R"({"id": "t", "type": "noop", "state": "running"})", "state"},
      {R"({"id": "t", "type": "noop", "state": "pending", "seq": -1})", "seq"},
      {R"({"id": "t", "type": "noop", "state": "pending", "attempts": "2"})", "attempts"},
      {R"({"id": "t", "type": "noop", "state": "pending", "lease_token": 1.5})", "lease_token"},
      {R"({"id": "t", "type": "noop", "state": "pending", "enqueued_at": 0})", "enqueued_at"},
      {R"({"id": "t", "type": "noop", "state": "pending", "period": "5"})", "period"},
      {R"({"id": "t", "type": "noop", "state": "pending", "checkpoint_format": "json",
           "checkpoint": "x"})",
       "checkpoint_format"},
      {R"({"id": "t", "type": "noop", "state": "pending", "result_format": "base64",
           "result": "%%%%"})",
       "result"},
      {R"({"id": 1, "type": "noop", "state": "pending"})", "id"},
      {R"([1])", ""},
  };
  for (const Case& c : bad) {
    SCOPED_TRACE(c.json);
    Result<Task> t = TaskFromJson(Json::parse(c.json));
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(t.status().field(), c.field);
  }
}

}  // namespace
}  // namespace taskly::codec
