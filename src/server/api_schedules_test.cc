// /v1/schedules over real HTTP: add, list with next_due, get, replace, pause/resume, remove,
// and a tick fired on the simulated clock.
#include "server/api_test_util.h"

namespace taskly::server {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

using SchedulesApiTest = ApiTest;

constexpr char kHourly[] = R"({"id": "cleanup", "every": "1h", "task": {"type": "cleanup"},
    "misfire": {"policy": "skip"}, "overlap": "forbid"})";

TEST_F(SchedulesApiTest, AddsAndListsAScheduleWithItsNextDueTime) {
  HttpResult r = Post("/v1/schedules", kHourly);
  ASSERT_EQ(r.status, 201) << r.body;
  std::string next = codec::FormatTime(clock_.now() + hours(1));
  EXPECT_EQ(r.json["id"], "cleanup");
  EXPECT_EQ(r.json["every"], "1h");
  EXPECT_EQ(r.json["anchor"], codec::FormatTime(clock_.now()));
  EXPECT_EQ(r.json["next_due"], next);
  EXPECT_EQ(r.json["overlap"], "forbid");
  EXPECT_EQ(r.json["misfire"]["policy"], "skip");

  HttpResult list = Get("/v1/schedules");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json["schedules"].size(), 1u);
  EXPECT_EQ(list.json["schedules"][0]["id"], "cleanup");
  EXPECT_EQ(list.json["schedules"][0]["next_due"], next);

  HttpResult one = Get("/v1/schedules/cleanup");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json, list.json["schedules"][0]);
  // It is the scheduler's schedule, and the store's.
  EXPECT_TRUE(scheduler().schedule("cleanup").ok());
  EXPECT_EQ(store().list_schedules()->size(), 1u);
}

TEST_F(SchedulesApiTest, ACronScheduleInAZone) {
  HttpResult r = Post("/v1/schedules", R"({"id": "nightly", "cron": "30 2 * * *",
      "tz": "America/New_York", "task": {"type": "backup", "queue": "ops"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  // 2026-01-01T00:00Z is 2025-12-31 19:00 in New York (EST, UTC-5): next 02:30 EST is 07:30Z.
  EXPECT_EQ(r.json["next_due"], "2026-01-01T07:30:00Z");
  EXPECT_EQ(r.json["task"]["queue"], "ops");
}

TEST_F(SchedulesApiTest, FiresATickWhenItsTimeComes) {
  ASSERT_TRUE(scheduler().start().ok());
  ASSERT_EQ(Post("/v1/schedules", kHourly).status, 201);
  clock_.advance(hours(1));
  ASSERT_TRUE(WaitFor([&] { return Get("/v1/tasks?type=cleanup").json["tasks"].size() == 1; }));
  HttpResult task = Get("/v1/tasks?type=cleanup");
  EXPECT_EQ(task.json["tasks"][0]["schedule_id"], "cleanup");
  EXPECT_EQ(task.json["tasks"][0]["tick_due"], codec::FormatTime(clock_.now()));
  HttpResult info = Get("/v1/schedules/cleanup");
  EXPECT_EQ(info.json["fired"], 1);
  EXPECT_EQ(info.json["next_due"], codec::FormatTime(clock_.now() + hours(1)));
}

TEST_F(SchedulesApiTest, PausesAndResumes) {
  ASSERT_EQ(Post("/v1/schedules", kHourly).status, 201);
  HttpResult paused = Post("/v1/schedules/cleanup/pause");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.json["paused"], true);
  EXPECT_FALSE(paused.json.contains("next_due"));
  EXPECT_TRUE(store().list_schedules()->front().spec.paused);

  HttpResult resumed = Post("/v1/schedules/cleanup/resume");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(resumed.json["paused"], false);
  EXPECT_EQ(resumed.json["next_due"], codec::FormatTime(clock_.now() + hours(1)));
}

TEST_F(SchedulesApiTest, ReplacesADefinition) {
  ASSERT_EQ(Post("/v1/schedules", kHourly).status, 201);
  clock_.advance(minutes(10));
  // No "id" in the body: the path's.
  HttpResult r = Call("PUT", "/v1/schedules/cleanup",
                      R"({"every": "30m", "task": {"type": "cleanup", "priority": 2}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["every"], "30m");
  EXPECT_EQ(r.json["task"]["priority"], 2);
  EXPECT_EQ(r.json["next_due"], codec::FormatTime(clock_.now() + minutes(30)));
  EXPECT_EQ(Get("/v1/schedules/cleanup").json["every"], "30m");
  EXPECT_EQ(store().list_schedules()->front().spec.every, minutes(30));

  // The same id in the body is fine too.
  r = Call("PUT", "/v1/schedules/cleanup",
           R"({"id": "cleanup", "cron": "0 * * * *", "task": {"type": "cleanup"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["cron"], "0 * * * *");
  EXPECT_FALSE(r.json.contains("every"));
}

TEST_F(SchedulesApiTest, RemovesASchedule) {
  ASSERT_EQ(Post("/v1/schedules", kHourly).status, 201);
  HttpResult r = Call("DELETE", "/v1/schedules/cleanup");
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(Get("/v1/schedules/cleanup").status, 404);
  EXPECT_TRUE(Get("/v1/schedules").json["schedules"].empty());
  EXPECT_TRUE(store().list_schedules()->empty());
}

}  // namespace
}  // namespace taskly::server
