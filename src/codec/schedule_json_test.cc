// ScheduleSpec and ScheduleInfo as JSON: defaults, each kind, round trips, the output form.
// Refused inputs are in bad_input_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "codec/codec_test_util.h"
#include "codec/json_codec.h"

namespace taskly::codec {
namespace {

using namespace std::chrono_literals;
using testutil::ExpectScheduleEq;
using testutil::Utc;

// A cron schedule with every field away from its default.
ScheduleSpec FullCron() {
  ScheduleSpec spec;
  spec.id = "nightly.report";
  spec.cron = "30 2 * * MON-FRI";
  spec.tz = "America/New_York";
  spec.misfire = Misfire{MisfirePolicy::kCatchUp, 4, 90s};
  spec.overlap = OverlapPolicy::kReplace;
  spec.task.type = "report.build";
  spec.task.payload = R"({"format":"pdf"})";
  spec.task.queue = "reports";
  spec.task.priority = 5;
  spec.task.timeout = 10min;
  spec.task.max_attempts = 2;
  spec.task.backoff = Backoff{2s, 1min, 1.5};
  spec.task.unique_key = "report";
  spec.task.unique_ttl = 1h;
  spec.task.labels = {{"team", "finance"}};
  spec.start_within = 15min;
  spec.paused = true;
  spec.wcet = 3min + 250ms;
  return spec;
}

ScheduleSpec FullEvery() {
  ScheduleSpec spec = FullCron();
  spec.cron.clear();
  spec.tz = "UTC";
  spec.every = 1min + 30s;
  spec.anchor = Utc(2026, 1, 1, 0, 0, 15);
  spec.misfire.policy = MisfirePolicy::kSkip;
  spec.overlap = OverlapPolicy::kForbid;
  return spec;
}

ScheduleSpec FullOnce() {
  ScheduleSpec spec = FullCron();
  spec.cron.clear();
  spec.tz = "UTC";
  spec.once = Utc(2026, 11, 29, 8) + 5ms;
  spec.misfire.policy = MisfirePolicy::kFireOnce;
  spec.overlap = OverlapPolicy::kAllow;
  return spec;
}

TEST(ScheduleSpecJson, MinimalFormsGiveTheDefaults) {
  Result<ScheduleSpec> spec =
      ScheduleSpecFromJson(Json::parse(R"({"id": "s", "every": "1m", "task": {"type": "t"}})"));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ScheduleSpec want;
  want.id = "s";
  want.every = 1min;
  want.task.type = "t";
  ExpectScheduleEq(*spec, want);
}

TEST(ScheduleSpecJson, ReadsEveryFieldOfACronSchedule) {
  Result<ScheduleSpec> spec = ScheduleSpecFromJson(Json::parse(R"({
      "id": "nightly.report", "cron": "30 2 * * MON-FRI", "tz": "America/New_York",
      "misfire": {"policy": "catch_up", "max_catch_up": 4, "grace": "1m30s"},
      "overlap": "replace",
      "task": {"type": "report.build", "payload": {"format": "pdf"}, "queue": "reports",
               "priority": 5, "timeout": "10m", "max_attempts": 2,
               "backoff": {"initial": "2s", "cap": "1m", "multiplier": 1.5},
               "unique_key": "report", "unique_ttl": "1h", "labels": {"team": "finance"}},
      "start_within": "15m", "paused": true, "wcet": "3m250ms"})"));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ExpectScheduleEq(*spec, FullCron());
}

TEST(ScheduleSpecJson, RoundTripsEveryKindWithEveryFieldSet) {
  for (const ScheduleSpec& spec : {FullCron(), FullEvery(), FullOnce()}) {
    SCOPED_TRACE(spec.id);
    ASSERT_TRUE(ValidateScheduleSpec(spec).ok()) << ValidateScheduleSpec(spec).ToString();
    const Json j = ScheduleSpecToJson(spec);
    Result<ScheduleSpec> back = ScheduleSpecFromJson(Json::parse(j.dump()));
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << j.dump();
    ExpectScheduleEq(*back, spec);
  }
}

TEST(ScheduleSpecJson, RoundTripsEveryMisfireAndOverlapPolicy) {
  for (MisfirePolicy misfire :
       {MisfirePolicy::kFireOnce, MisfirePolicy::kSkip, MisfirePolicy::kCatchUp}) {
    for (OverlapPolicy overlap :
         {OverlapPolicy::kAllow, OverlapPolicy::kForbid, OverlapPolicy::kReplace}) {
      ScheduleSpec spec = FullEvery();
      spec.misfire.policy = misfire;
      spec.overlap = overlap;
      const Json j = ScheduleSpecToJson(spec);
      EXPECT_EQ(j.at("misfire").at("policy"), MisfirePolicyName(misfire));
      EXPECT_EQ(j.at("overlap"), OverlapPolicyName(overlap));
      Result<ScheduleSpec> back = ScheduleSpecFromJson(j);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ExpectScheduleEq(*back, spec);
    }
  }
}

TEST(ScheduleSpecJson, ExactOutputOfAnEverySchedule) {
  ScheduleSpec spec;
  spec.id = "tick";
  spec.every = 90s;
  spec.anchor = Utc(2026, 1, 1);
  spec.task.type = "noop";
  EXPECT_EQ(ScheduleSpecToJson(spec), Json::parse(R"({
      "id": "tick", "every": "1m30s", "anchor": "2026-01-01T00:00:00Z",
      "misfire": {"policy": "fire_once", "max_catch_up": 1, "grace": "1s"},
      "overlap": "allow",
      "task": {"type": "noop", "queue": "default", "priority": 0, "timeout": "0s",
               "max_attempts": 3, "backoff": {"initial": "1s", "cap": "10m", "multiplier": 2.0},
               "unique_ttl": "0s", "labels": {}},
      "start_within": "0s", "paused": false, "wcet": "0s"})"));
}

TEST(ScheduleSpecJson, CronAlwaysCarriesItsZone) {
  ScheduleSpec spec;
  spec.id = "c";
  spec.cron = "@hourly";
  spec.task.type = "t";
  const Json j = ScheduleSpecToJson(spec);
  EXPECT_EQ(j.at("cron"), "@hourly");
  EXPECT_EQ(j.at("tz"), "UTC");
  EXPECT_FALSE(ScheduleSpecToJson(FullEvery()).contains("tz"));
}

TEST(ScheduleInfoJson, AddsTheRuntimeFields) {
  ScheduleInfo info;
  info.spec = FullEvery();
  info.next_due = Utc(2026, 3, 8, 7, 31);
  info.last_due = Utc(2026, 3, 8, 7, 29, 30);
  info.last_task = "01JNX7Q8ZK3M4N5P6R7S8T9V0W";
  info.fired = 12;
  info.skipped_misfire = 3;
  info.skipped_overlap = 1;
  info.measured_wcet = 2500ms;
  Json j = ScheduleInfoToJson(info);
  EXPECT_EQ(j.at("next_due"), "2026-03-08T07:31:00Z");
  EXPECT_EQ(j.at("last_due"), "2026-03-08T07:29:30Z");
  EXPECT_EQ(j.at("last_task"), "01JNX7Q8ZK3M4N5P6R7S8T9V0W");
  EXPECT_EQ(j.at("fired"), 12);
  EXPECT_EQ(j.at("skipped_misfire"), 3);
  EXPECT_EQ(j.at("skipped_overlap"), 1);
  EXPECT_EQ(j.at("measured_wcet"), "2s500ms");
  // The rest is the spec's form.
  for (const char* key : {"next_due", "last_due", "last_task", "fired", "skipped_misfire",
                          "skipped_overlap", "measured_wcet"}) {
    j.erase(key);
  }
  EXPECT_EQ(j, ScheduleSpecToJson(info.spec));
}

TEST(ScheduleInfoJson, LeavesOutWhatIsNotThere) {
  ScheduleInfo info;
  info.spec = FullOnce();
  const Json j = ScheduleInfoToJson(info);
  EXPECT_FALSE(j.contains("next_due"));
  EXPECT_FALSE(j.contains("last_due"));
  EXPECT_FALSE(j.contains("last_task"));
  EXPECT_EQ(j.at("fired"), 0);
  EXPECT_EQ(j.at("measured_wcet"), "0s");
}

}  // namespace
}  // namespace taskly::codec
