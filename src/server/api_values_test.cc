// Values at the edges of their ranges: every duration and time field is range-checked, schedules
// have a minimum period, and every JSON problem (numbers out of range, duplicate keys, payload
// numbers that would not come back as sent) is a 400 naming the field, never a 500.
#include <gmock/gmock.h>

#include "server/api_test_util.h"

namespace taskly::server {
namespace {

struct Refused {
  const char* method;
  const char* path;
  std::string body;
  const char* field;
};

const std::string kTask = R"("task": {"type": "t"})";

const Refused kOutOfRange[] = {
    {"POST", "/v1/tasks", R"({"type": "x", "timeout": "100000d"})", "timeout"},
    {"POST", "/v1/tasks", R"({"type": "x", "unique_key": "k", "unique_ttl": "100000d"})",
     "unique_ttl"},
    {"POST", "/v1/tasks",
     R"({"type": "x", "backoff": {"initial": "106751d23h47m16s854ms775us807ns",
                                  "cap": "106751d23h47m16s854ms775us807ns"}})",
     "backoff.initial"},
    {"POST", "/v1/tasks", R"({"type": "x", "backoff": {"cap": "36501d"}})", "backoff.cap"},
    {"POST", "/v1/tasks", R"({"type": "x", "delay": "36501d"})", "delay"},
    {"POST", "/v1/tasks", R"({"type": "x", "deadline": "1969-12-31T23:59:59Z"})", "deadline"},
    {"POST", "/v1/tasks/batch", R"({"tasks": [{"type": "x", "timeout": "100000d"}]})",
     "tasks[0].timeout"},
    {"POST", "/v1/schedules", R"({"id": "s", "every": "90000d", )" + kTask + "}", "every"},
    {"POST", "/v1/schedules", R"({"id": "s", "every": "1ns", )" + kTask + "}", "every"},
    {"POST", "/v1/schedules", R"({"id": "s", "every": "999ms", )" + kTask + "}", "every"},
    {"POST", "/v1/schedules",
     R"({"id": "s", "every": "1h", "start_within": "100000d", )" + kTask + "}", "start_within"},
    {"POST", "/v1/schedules", R"({"id": "s", "once": "1900-01-01T00:00:00Z", )" + kTask + "}",
     "once"},
    {"POST", "/v1/schedules",
     R"({"id": "s", "every": "1h", "misfire": {"max_catch_up": 0}, )" + kTask + "}",
     "misfire.max_catch_up"},
    {"POST", "/v1/schedules",
     R"({"id": "s", "every": "1h", "misfire": {"policy": "catch_up", "max_catch_up": 2000000000},
        )" +
         kTask + "}",
     "misfire.max_catch_up"},
    {"POST", "/v1/schedules", R"({"id": "s", "every": "1h", "task": {"type": "t",
                                  "timeout": "100000d"}})",
     "task.timeout"},
    {"PATCH", "/v1/queues/default", R"({"rate": 1e-300})", "rate"},
    {"PATCH", "/v1/queues/default", R"({"rate": 1e300})", "rate"},
    {"PATCH", "/v1/queues/default", R"({"policy": "priority", "aging_step": "100000d"})",
     "aging_step"},
};

class ValuesTest : public ApiTest {};

TEST_F(ValuesTest, OutOfRangeDurationsTimesAndRatesAre400NamingTheField) {
  for (const Refused& row : kOutOfRange) {
    SCOPED_TRACE(std::string(row.method) + " " + row.path + " " + row.body);
    HttpResult r = Call(row.method, row.path, row.body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument") << r.body;
    EXPECT_EQ(r.error_field(), row.field) << r.body;
  }
  EXPECT_TRUE(scheduler().schedules().empty());
  EXPECT_TRUE(store().list({}, {.limit = 10})->tasks.empty());
}

TEST_F(ValuesTest, TheLargestDurationsAreAccepted) {
  HttpResult task = Post("/v1/tasks", R"({"type": "x", "timeout": "36500d", "unique_key": "k",
      "unique_ttl": "36500d", "delay": "36500d", "backoff": {"initial": "36500d", "cap": "36500d"}})");
  EXPECT_EQ(task.status, 201) << task.body;
  HttpResult every = Post("/v1/schedules", R"({"id": "s", "every": "36500d", "start_within":
      "36500d", )" + kTask + "}");
  ASSERT_EQ(every.status, 201) << every.body;
  EXPECT_EQ(every.json["next_due"], "2125-12-08T00:00:00Z") << every.body;
}

TEST_F(ValuesTest, ACronFiringMoreOftenThanTheMinimumPeriodIsRefused) {
  StartServer({}, SchedulerOptions{.min_schedule_period = std::chrono::minutes(5)});
  HttpResult fast = Post("/v1/schedules", R"({"id": "s", "cron": "*/2 * * * *", )" + kTask + "}");
  EXPECT_EQ(fast.status, 400) << fast.body;
  EXPECT_EQ(fast.error_field(), "cron") << fast.body;
  EXPECT_THAT(fast.error()["message"].get<std::string>(),
              ::testing::HasSubstr("every 2m, below the scheduler's minimum schedule period, 5m"));
  HttpResult every = Post("/v1/schedules", R"({"id": "s", "every": "4m", )" + kTask + "}");
  EXPECT_EQ(every.status, 400) << every.body;
  EXPECT_EQ(every.error_field(), "every") << every.body;
  EXPECT_EQ(Post("/v1/schedules", R"({"id": "s", "cron": "*/5 * * * *", )" + kTask + "}").status,
            201);
}

TEST_F(ValuesTest, ALowerMinimumPeriodAllowsFasterSchedules) {
  StartServer({}, SchedulerOptions{.min_schedule_period = std::chrono::milliseconds(10)});
  EXPECT_EQ(Post("/v1/schedules", R"({"id": "s", "every": "10ms", )" + kTask + "}").status, 201);
  EXPECT_EQ(Post("/v1/schedules", R"({"id": "t", "every": "9ms", )" + kTask + "}").status, 400);
}

const Refused kBadJson[] = {
    {"POST", "/v1/tasks", R"({"type": "x", "payload": 1e999})", "payload"},
    {"POST", "/v1/tasks", R"({"type": "x", "priority": -1e999})", "priority"},
    {"POST", "/v1/tasks", R"({"type": "x", "type": "y"})", "type"},
    {"POST", "/v1/tasks", R"({"type": "x", "labels": {"a": "1", "a": "2"}})", "labels.a"},
    {"POST", "/v1/tasks/batch",
     R"({"tasks": [{"type": "x"}, {"type": "x", "payload": {"a": 1.50, "a": 2}}]})",
     "tasks[1].payload.a"},
    {"POST", "/v1/schedules", R"({"id": "s", "every": "1h", "task": {"type": "t",
                                  "payload": {"big": 1e999}}})",
     "task.payload.big"},
    {"POST", "/v1/schedules", R"({"id": "s", "id": "t", "every": "1h", )" + kTask + "}", "id"},
    {"PATCH", "/v1/queues/default", R"({"rate": 1, "rate": 2})", "rate"},
};

TEST_F(ValuesTest, JsonNumberAndDuplicateKeyProblemsAre400NamingTheField) {
  for (const Refused& row : kBadJson) {
    SCOPED_TRACE(std::string(row.method) + " " + row.path + " " + row.body);
    HttpResult r = Call(row.method, row.path, row.body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument") << r.body;
    EXPECT_EQ(r.error_field(), row.field) << r.body;
  }
  EXPECT_TRUE(store().list({}, {.limit = 10})->tasks.empty());
}

TEST_F(ValuesTest, PayloadNumbersComeBackExactlyAsSent) {
  const std::string payload =
      R"({"big":18446744073709551615,"f":0.1,"neg":-9223372036854775808,"tiny":1e-300})";
  const std::string id = Submit("x", {{"payload", Json::parse(payload)}});
  HttpResult r = Get("/v1/tasks/" + id);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["payload"].dump(), payload);
  // Numbers JSON's doubles would change come back as sent too, in every answer that holds the
  // payload: the task, a listing, and a batch's tasks.
  const std::string exact = R"({"n":123456789012345678901234567890,"f":[1.50,1e2,-0.0]})";
  HttpResult sent = Post("/v1/tasks", R"({"type": "exact", "payload": )" + exact + "}");
  ASSERT_EQ(sent.status, 201) << sent.body;
  const std::string got = Get("/v1/tasks/" + sent.json["id"].get<std::string>()).body;
  EXPECT_NE(got.find(R"("payload":)" + exact), std::string::npos) << got;
  const std::string listed = Get("/v1/tasks?type=exact").body;
  EXPECT_NE(listed.find(R"("payload":)" + exact), std::string::npos) << listed;
  HttpResult batch = Post("/v1/tasks/batch", R"({"tasks": [{"type": "exact", "payload": 2.50}]})");
  ASSERT_EQ(batch.status, 201) << batch.body;
  const std::string one =
      Get("/v1/tasks/" + batch.json["results"][0]["id"].get<std::string>()).body;
  EXPECT_NE(one.find(R"("payload":2.50)"), std::string::npos) << one;
  // Sent as text, the same bytes are the same payload: written as that JSON value, as any
  // payload whose bytes are JSON.
  HttpResult text = Post("/v1/tasks", R"({"type": "x", "payload": "123456789012345678901234567890",
                                          "payload_format": "text"})");
  ASSERT_EQ(text.status, 201) << text.body;
  const std::string back = Get("/v1/tasks/" + text.json["id"].get<std::string>()).body;
  EXPECT_NE(back.find(R"("payload":123456789012345678901234567890,)"), std::string::npos) << back;
}

TEST_F(ValuesTest, AResultOverTheLimitFailsItsTaskPermanently) {
  StartServer({}, SchedulerOptions{.max_result_bytes = 1000});
  ASSERT_TRUE(
      scheduler()
          .handle("big", [](TaskContext&) { return Outcome::Success(std::string(1001, 'x')); })
          .ok());
  ASSERT_TRUE(
      scheduler()
          .handle("fits", [](TaskContext&) { return Outcome::Success(std::string(1000, 'x')); })
          .ok());
  ASSERT_TRUE(scheduler().start().ok());
  const std::string big = Submit("big");
  const std::string fits = Submit("fits");
  ASSERT_TRUE(WaitFor([&] { return StateOf(big) == "dead" && StateOf(fits) == "succeeded"; }));
  HttpResult r = Get("/v1/tasks/" + big);
  EXPECT_EQ(r.json["attempts"], 1) << r.body;
  EXPECT_EQ(r.json["last_error"],
            "result is 1001 bytes, more than the limit of 1000 (max_result_bytes)");
  EXPECT_FALSE(r.json.contains("result")) << r.body;
}

}  // namespace
}  // namespace taskly::server
