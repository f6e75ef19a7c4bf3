// Every bad input gets a 4xx with {"error": {"code", "message", "field"}} naming what to fix, and
// changes nothing: a table of malformed requests, each checked against the store's tasks, queues
// and schedules (and the scheduler's view of its schedules) before and after.
#include "server/api_test_util.h"

namespace taskly::server {
namespace {

struct BadRequest {
  const char* method;
  const char* path;  // "{pending}" and "{succeeded}" stand for the ids of the seeded tasks
  std::string body;
  int status;
  const char* code;
  const char* field;
};

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

const std::string kTask = R"("task": {"type": "t"})";

const BadRequest kBadRequests[] = {
    // POST /v1/tasks
    {"POST", "/v1/tasks", R"({"type": "x",)", 400, "invalid_argument", "body"},
    {"POST", "/v1/tasks", "", 400, "invalid_argument", "body"},
    {"POST", "/v1/tasks", R"(["type", "x"])", 400, "invalid_argument", "body"},
    {"POST", "/v1/tasks", R"("x")", 400, "invalid_argument", "body"},
    {"POST", "/v1/tasks", std::string(100, '[') + std::string(100, ']'), 400, "invalid_argument",
     "body"},
    {"POST", "/v1/tasks", "{}", 400, "invalid_argument", "type"},
    {"POST", "/v1/tasks", R"({"type": 5})", 400, "invalid_argument", "type"},
    {"POST", "/v1/tasks", R"({"type": "has space"})", 400, "invalid_argument", "type"},
    {"POST", "/v1/tasks", R"({"type": "x", "colour": "red"})", 400, "invalid_argument", "colour"},
    {"POST", "/v1/tasks", R"({"type": "x", "priority": "high"})", 400, "invalid_argument",
     "priority"},
    {"POST", "/v1/tasks", R"({"type": "x", "priority": 1.5})", 400, "invalid_argument", "priority"},
    {"POST", "/v1/tasks", R"({"type": "x", "priority": 3000000000})", 400, "invalid_argument",
     "priority"},
    {"POST", "/v1/tasks", R"({"type": "x", "timeout": "-5s"})", 400, "invalid_argument", "timeout"},
    {"POST", "/v1/tasks", R"({"type": "x", "timeout": "1.5s"})", 400, "invalid_argument",
     "timeout"},
    {"POST", "/v1/tasks", R"({"type": "x", "timeout": 30})", 400, "invalid_argument", "timeout"},
    {"POST", "/v1/tasks", R"({"type": "x", "max_attempts": 0})", 400, "invalid_argument",
     "max_attempts"},
    {"POST", "/v1/tasks", R"({"type": "x", "queue": "no/slash"})", 400, "invalid_argument",
     "queue"},
    {"POST", "/v1/tasks", R"({"type": "x", "deadline": "tomorrow"})", 400, "invalid_argument",
     "deadline"},
    {"POST", "/v1/tasks", R"({"type": "x", "run_at": "2026-03-08 02:30"})", 400, "invalid_argument",
     "run_at"},
    {"POST", "/v1/tasks", R"({"type": "x", "run_at": "2026-01-01T00:00:00Z", "delay": "5s"})", 400,
     "invalid_argument", "delay"},
    {"POST", "/v1/tasks", R"({"type": "x", "labels": {"k": 1}})", 400, "invalid_argument",
     "labels.k"},
    {"POST", "/v1/tasks", R"({"type": "x", "labels": ["k"]})", 400, "invalid_argument", "labels"},
    {"POST", "/v1/tasks", R"({"type": "x", "backoff": {"cap": "-1s"}})", 400, "invalid_argument",
     "backoff.cap"},
    {"POST", "/v1/tasks", R"({"type": "x", "backoff": {"factor": 2}})", 400, "invalid_argument",
     "backoff.factor"},
    {"POST", "/v1/tasks", R"({"type": "x", "schedule_id": "s"})", 400, "invalid_argument",
     "schedule_id"},
    {"POST", "/v1/tasks", R"({"type": "x", "payload": "a!", "payload_format": "base64"})", 400,
     "invalid_argument", "payload"},
    {"POST", "/v1/tasks?dry_run=1", R"({"type": "x"})", 400, "invalid_argument", "dry_run"},
    // POST /v1/tasks/batch: nothing is enqueued when any item is bad
    {"POST", "/v1/tasks/batch", R"({"tasks": []})", 400, "invalid_argument", "tasks"},
    {"POST", "/v1/tasks/batch", R"({"tasks": {"type": "x"}})", 400, "invalid_argument", "tasks"},
    {"POST", "/v1/tasks/batch", "{}", 400, "invalid_argument", "tasks"},
    {"POST", "/v1/tasks/batch", R"({"tasks": [{"type": "x"}], "atomic": true})", 400,
     "invalid_argument", "atomic"},
    {"POST", "/v1/tasks/batch", R"({"tasks": [{"type": "ok"}, {"type": "x", "priority": 1.5}]})",
     400, "invalid_argument", "tasks[1].priority"},
    {"POST", "/v1/tasks/batch", R"({"tasks": [{"type": "ok"}, 7]})", 400, "invalid_argument",
     "tasks[1]"},
    {"POST", "/v1/tasks/batch", R"({"tasks": [{"type": "ok", "queue": ""}]})", 400,
     "invalid_argument", "tasks[0].queue"},
    // GET /v1/tasks
    {"GET", "/v1/tasks?state=running", "", 400, "invalid_argument", "state"},
    {"GET", "/v1/tasks?limit=0", "", 400, "invalid_argument", "limit"},
    {"GET", "/v1/tasks?limit=1001", "", 400, "invalid_argument", "limit"},
    {"GET", "/v1/tasks?limit=ten", "", 400, "invalid_argument", "limit"},
    {"GET", "/v1/tasks?sort=id", "", 400, "invalid_argument", "sort"},
    {"GET", "/v1/tasks?state=pending&state=dead", "", 400, "invalid_argument", "state"},
    {"GET", "/v1/tasks?label=team", "", 400, "invalid_argument", "label"},
    {"GET", "/v1/tasks?queue=a%20b", "", 400, "invalid_argument", "queue"},
    // One task: unknown ids, and operations the task's state refuses
    {"GET", "/v1/tasks/no-such-task", "", 404, "not_found", "id"},
    {"POST", "/v1/tasks/no-such-task/cancel", "", 404, "not_found", "id"},
    {"POST", "/v1/tasks/no-such-task/retry", "", 404, "not_found", "id"},
    {"POST", "/v1/tasks/{succeeded}/cancel", "", 409, "failed_precondition", "id"},
    {"POST", "/v1/tasks/{pending}/retry", "", 409, "failed_precondition", "id"},
    // Schedules
    {"POST", "/v1/schedules", R"({"id": "s", "cron": "61 * * * *", )" + kTask + "}", 400,
     "invalid_argument", "cron.minute"},
    {"POST", "/v1/schedules",
     R"({"id": "s", "cron": "* * * * *", "tz": "Mars/Olympus", )" + kTask + "}", 400,
     "invalid_argument", "tz"},
    {"POST", "/v1/schedules", R"({"id": "s", "every": "1h"})", 400, "invalid_argument", "task"},
    {"POST", "/v1/schedules", R"({"every": "1h", )" + kTask + "}", 400, "invalid_argument", "id"},
    {"POST", "/v1/schedules", R"({"id": "s", "every": "0s", )" + kTask + "}", 400,
     "invalid_argument", "every"},
    {"POST", "/v1/schedules", R"({"id": "s", "every": "1h", "cron": "* * * * *", )" + kTask + "}",
     400, "invalid_argument", "cron"},
    {"POST", "/v1/schedules",
     R"({"id": "s", "every": "1h", "misfire": {"policy": "later"}, )" + kTask + "}", 400,
     "invalid_argument", "misfire.policy"},
    {"POST", "/v1/schedules", R"({"id": "s", "every": "1h", "task": {"type": "t", "delay": "1s"}})",
     400, "invalid_argument", "task.delay"},
    {"POST", "/v1/schedules", R"({"id": "s", "every": "1h", "task": {"type": "t", "queue": "?"}})",
     400, "invalid_argument", "task.queue"},
    {"POST", "/v1/schedules", R"({"id": "nightly", "every": "1h", )" + kTask + "}", 409,
     "already_exists", "id"},
    {"GET", "/v1/schedules/no-such", "", 404, "not_found", "id"},
    {"PUT", "/v1/schedules/no-such", R"({"every": "1h", )" + kTask + "}", 404, "not_found", "id"},
    {"PUT", "/v1/schedules/nightly", R"({"id": "other", "every": "1h", )" + kTask + "}", 400,
     "invalid_argument", "id"},
    {"PUT", "/v1/schedules/nightly", R"({"every": "-1h", )" + kTask + "}", 400, "invalid_argument",
     "every"},
    {"PUT", "/v1/schedules/nightly",
     R"({"cron": "0 0 * * *", "tz": "Nowhere/City", )" + kTask + "}", 400, "invalid_argument",
     "tz"},
    {"PUT", "/v1/schedules/nightly", R"({"cron": "0 0 30 2 *", )" + kTask + "}", 400,
     "invalid_argument", "cron"},
    {"PUT", "/v1/schedules/nightly", R"({"cron": "0 0 * * *", )" + kTask + ", \"wcet\": 5}", 400,
     "invalid_argument", "wcet"},
    {"PUT", "/v1/schedules/nightly", "[]", 400, "invalid_argument", "body"},
    {"DELETE", "/v1/schedules/no-such", "", 404, "not_found", "id"},
    {"POST", "/v1/schedules/no-such/pause", "", 404, "not_found", "id"},
    {"POST", "/v1/schedules/no-such/resume", "", 404, "not_found", "id"},
    {"GET", "/v1/schedules?verbose=1", "", 400, "invalid_argument", "verbose"},
    // Queues
    {"GET", "/v1/queues/no-such", "", 404, "not_found", "name"},
    {"POST", "/v1/queues/no-such/pause", "", 404, "not_found", "name"},
    {"POST", "/v1/queues/no-such/resume", "", 404, "not_found", "name"},
    {"PATCH", "/v1/queues/default", R"({"concurrency": -1})", 400, "invalid_argument",
     "concurrency"},
    {"PATCH", "/v1/queues/default", R"({"policy": "lifo"})", 400, "invalid_argument", "policy"},
    {"PATCH", "/v1/queues/default", R"({"weight": 0})", 400, "invalid_argument", "weight"},
    {"PATCH", "/v1/queues/default", R"({"rate": "fast"})", 400, "invalid_argument", "rate"},
    {"PATCH", "/v1/queues/default", R"({"paused": true})", 400, "invalid_argument", "paused"},
    {"PATCH", "/v1/queues/default", "{\"concurrency\": 1", 400, "invalid_argument", "body"},
    {"PATCH", "/v1/queues/bad%20name", "{}", 400, "invalid_argument", "name"},
    // Routing
    {"GET", "/v1/nothing", "", 404, "not_found", ""},
    {"GET", "/v1/tasks/", "", 404, "not_found", ""},
    {"DELETE", "/v1/tasks", "", 405, "method_not_allowed", ""},
    {"PUT", "/v1/queues", "{}", 405, "method_not_allowed", ""},
    {"POST", "/v1/analysis", "{}", 405, "method_not_allowed", ""},
};

class BadInputTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    pending_ = *scheduler().enqueue(TaskSpec{.type = "wait", .labels = {{"team", "a"}}});
    succeeded_ = *scheduler().enqueue(TaskSpec{.type = "done", .queue = "finished"});
    Result<std::vector<Lease>> leases =
        store().claim({.queues = {"finished"}, .worker = "test", .max_tasks = 1});
    ASSERT_TRUE(leases.ok() && leases->size() == 1);
    ASSERT_TRUE(store().complete(succeeded_, leases->front().token, "result").ok());
    ScheduleSpec nightly{.id = "nightly", .cron = "0 3 * * *", .tz = "Europe/Paris"};
    nightly.task.type = "backup";
    ASSERT_TRUE(scheduler().add_schedule(nightly).ok());
  }

  // Everything a request could change, as JSON.
  Json Snapshot() {
    Json out;
    Result<TaskPage> page = store().list({}, {.limit = 1000});
    EXPECT_TRUE(page.ok());
    for (const Task& t : page->tasks) out["tasks"].push_back(codec::TaskToJson(t));
    Result<std::vector<QueueInfo>> queues = store().queues();
    Result<std::vector<StoredSchedule>> schedules = store().list_schedules();
    EXPECT_TRUE(queues.ok() && schedules.ok());
    for (const QueueInfo& q : *queues) out["queues"].push_back(codec::QueueInfoToJson(q));
    for (const StoredSchedule& s : *schedules) {
      out["stored_schedules"].push_back(
          {codec::ScheduleSpecToJson(s.spec), s.last_due ? codec::FormatTime(*s.last_due) : ""});
    }
    for (const ScheduleInfo& s : scheduler().schedules()) {
      out["schedules"].push_back(codec::ScheduleInfoToJson(s));
    }
    return out;
  }

  TaskId pending_, succeeded_;
};

TEST_F(BadInputTest, EveryBadRequestIsRefusedNamingTheFieldAndChangesNothing) {
  ASSERT_GE(std::size(kBadRequests), 30u);
  const Json before = Snapshot();
  for (const BadRequest& row : kBadRequests) {
    std::string path = Replace(Replace(row.path, "{pending}", pending_), "{succeeded}", succeeded_);
    SCOPED_TRACE(std::string(row.method) + " " + path + " " + row.body.substr(0, 120));
    HttpResult r = Call(row.method, path, row.body);
    EXPECT_EQ(r.status, row.status) << r.body;
    ASSERT_TRUE(r.json.is_object()) << r.body;
    ASSERT_TRUE(r.json.contains("error")) << r.body;
    EXPECT_EQ(r.error_code(), row.code) << r.body;
    EXPECT_EQ(r.error_field(), row.field) << r.body;
    EXPECT_TRUE(r.error()["message"].is_string() &&
                !r.error()["message"].get<std::string>().empty())
        << r.body;
    EXPECT_EQ(Snapshot(), before) << "the store changed";
  }
}

TEST_F(BadInputTest, MalformedJsonSaysWhere) {
  HttpResult r = Post("/v1/tasks", "{\"type\": tru}");
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.error_field(), "body");
  EXPECT_NE(r.error()["message"].get<std::string>().find("column 13"), std::string::npos) << r.body;
}

TEST_F(BadInputTest, WrongMethodListsTheAllowedOnes) {
  HttpResult r = Call("DELETE", "/v1/tasks");
  ASSERT_EQ(r.status, 405);
  auto allow = r.headers.find("Allow");
  ASSERT_NE(allow, r.headers.end());
  EXPECT_EQ(allow->second, "POST, GET");
}

}  // namespace
}  // namespace taskly::server
