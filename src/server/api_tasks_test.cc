// /v1/tasks over real HTTP: submit (one, duplicate, batch), list with filters and paging, get,
// a task run to success by a handler, cancel of a running task, retry of a dead task.
#include <atomic>

#include "server/api_test_util.h"

namespace taskly::server {
namespace {

using TasksApiTest = ApiTest;

TEST_F(TasksApiTest, SubmitsAndGetsATask) {
  HttpResult r = Post("/v1/tasks", R"({"type": "email", "payload": {"to": "a@b.c"},
      "queue": "mail", "priority": 5, "timeout": "30s", "labels": {"team": "growth"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["created"], true);
  std::string id = r.json["id"];
  ASSERT_FALSE(id.empty());

  HttpResult got = Get("/v1/tasks/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json["id"], id);
  EXPECT_EQ(got.json["type"], "email");
  EXPECT_EQ(got.json["state"], "pending");
  EXPECT_EQ(got.json["queue"], "mail");
  EXPECT_EQ(got.json["priority"], 5);
  EXPECT_EQ(got.json["timeout"], "30s");
  EXPECT_EQ(got.json["payload"], Json({{"to", "a@b.c"}}));
  EXPECT_EQ(got.json["labels"]["team"], "growth");
  EXPECT_EQ(got.json["enqueued_at"], codec::FormatTime(clock_.now()));
  // The store holds what the API said it did.
  Result<Task> stored = store().get(id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->spec.payload, R"({"to":"a@b.c"})");
}

TEST_F(TasksApiTest, ABodyLabelledAsAFormIsStillJson) {
  // curl -d sends Content-Type: application/x-www-form-urlencoded whatever the body is.
  httplib::Headers headers = {{"Authorization", std::string("Bearer ") + kToken}};
  httplib::Result r = client_->Post("/v1/tasks?", headers, R"({"type": "t", "payload": {"a": 1}})",
                                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
}

TEST_F(TasksApiTest, ADuplicateUniqueKeyAnswersTheExistingTask) {
  HttpResult first = Post("/v1/tasks", R"({"type": "report", "unique_key": "daily-2026-01-01"})");
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResult second = Post("/v1/tasks", R"({"type": "report", "unique_key": "daily-2026-01-01"})");
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.json["created"], false);
  EXPECT_EQ(second.json["id"], first.json["id"]);
  EXPECT_EQ(store().list({}, {})->tasks.size(), 1u);
}

TEST_F(TasksApiTest, SubmitsABatch) {
  HttpResult r = Post("/v1/tasks/batch", R"({"tasks": [{"type": "a"}, {"type": "b", "queue": "q2"},
      {"type": "c", "unique_key": "k"}, {"type": "c", "unique_key": "k"}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(r.json["results"].size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.json["results"][i]["created"], true) << i;
  EXPECT_EQ(r.json["results"][3]["created"], false);
  EXPECT_EQ(r.json["results"][3]["id"], r.json["results"][2]["id"]);
  EXPECT_EQ(store().list({}, {})->tasks.size(), 3u);
  EXPECT_EQ(Get("/v1/tasks/" + r.json["results"][1]["id"].get<std::string>()).json["queue"], "q2");
}

TEST_F(TasksApiTest, ListsWithFiltersAndPages) {
  std::string a = Submit("resize", {{"queue", "images"}, {"labels", {{"size", "big"}}}});
  std::string b = Submit("resize", {{"queue", "images"}, {"labels", {{"size", "small"}}}});
  std::string c = Submit("email", {{"queue", "mail"}});
  std::string d = Submit(
      "email",
      {{"queue", "mail"}, {"run_at", codec::FormatTime(clock_.now() + std::chrono::hours(1))}});

  auto ids = [&](const std::string& query) {
    HttpResult r = Get("/v1/tasks" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<std::string> out;
    for (const Json& t : r.json["tasks"]) out.push_back(t["id"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(""), (V{a, b, c, d}));
  EXPECT_EQ(ids("?queue=images"), (V{a, b}));
  EXPECT_EQ(ids("?type=email"), (V{c, d}));
  EXPECT_EQ(ids("?state=scheduled"), (V{d}));
  EXPECT_EQ(ids("?state=pending&type=email"), (V{c}));
  EXPECT_EQ(ids("?label=size:small"), (V{b}));
  EXPECT_EQ(ids("?label=size:huge"), V{});

  HttpResult page1 = Get("/v1/tasks?limit=3");
  ASSERT_EQ(page1.status, 200);
  ASSERT_EQ(page1.json["tasks"].size(), 3u);
  ASSERT_TRUE(page1.json.contains("next"));
  HttpResult page2 = Get("/v1/tasks?limit=3&after=" + page1.json["next"].get<std::string>());
  ASSERT_EQ(page2.status, 200);
  ASSERT_EQ(page2.json["tasks"].size(), 1u);
  EXPECT_EQ(page2.json["tasks"][0]["id"], d);
  EXPECT_FALSE(page2.json.contains("next"));
}

class RunningTasksApiTest : public ApiTest {
 protected:
  void TearDown() override {
    release_ = true;
    ApiTest::TearDown();
  }
  std::atomic<bool> release_{false};
  std::atomic<int> runs_{0};
  std::atomic<bool> saw_stop_{false};
};

TEST_F(RunningTasksApiTest, RunsATaskToSuccess) {
  ASSERT_TRUE(
      scheduler()
          .handle("echo", [](TaskContext& ctx) { return Outcome::Success("got " + ctx.payload()); })
          .ok());
  ASSERT_TRUE(scheduler().start().ok());
  std::string id = Submit("echo", {{"payload", "hello"}, {"payload_format", "text"}});
  ASSERT_TRUE(WaitFor([&] { return StateOf(id) == "succeeded"; }));
  HttpResult got = Get("/v1/tasks/" + id);
  EXPECT_EQ(got.json["result"], "got hello");
  EXPECT_EQ(got.json["result_format"], "text");
  EXPECT_EQ(got.json["attempts"], 1);
}

TEST_F(RunningTasksApiTest, CancelsARunningTaskAndStopsIt) {
  ASSERT_TRUE(scheduler()
                  .handle("long",
                          [this](TaskContext& ctx) {
                            while (!ctx.stop_requested() && !release_) {
                              std::this_thread::sleep_for(std::chrono::milliseconds(1));
                            }
                            saw_stop_ = ctx.stop_requested();
                            return Outcome::Success();
                          })
                  .ok());
  ASSERT_TRUE(scheduler().start().ok());
  std::string id = Submit("long");
  ASSERT_TRUE(WaitFor([&] { return StateOf(id) == "active"; }));

  // The worker running it shows in /v1/workers.
  HttpResult workers = Get("/v1/workers");
  ASSERT_EQ(workers.status, 200);
  int busy_with_it = 0;
  for (const Json& w : workers.json["workers"]) {
    if (w["busy"] == true && w["task"] == id) busy_with_it++;
  }
  EXPECT_EQ(busy_with_it, 1) << workers.body;

  HttpResult r = Post("/v1/tasks/" + id + "/cancel");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["state"], "cancelled");
  // The handler's stop token was requested (not merely the store's state changed).
  ASSERT_TRUE(WaitFor([&] { return saw_stop_.load(); }));
  EXPECT_EQ(StateOf(id), "cancelled");
}

TEST_F(RunningTasksApiTest, RetriesADeadTask) {
  ASSERT_TRUE(scheduler()
                  .handle("flaky",
                          [this](TaskContext&) {
                            return runs_++ == 0 ? Outcome::Permanent("broken input")
                                                : Outcome::Success("fixed");
                          })
                  .ok());
  ASSERT_TRUE(scheduler().start().ok());
  std::string id = Submit("flaky");
  ASSERT_TRUE(WaitFor([&] { return StateOf(id) == "dead"; }));
  EXPECT_EQ(Get("/v1/tasks/" + id).json["last_error"], "broken input");

  HttpResult r = Post("/v1/tasks/" + id + "/retry");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.json["state"], "dead");
  ASSERT_TRUE(WaitFor([&] { return StateOf(id) == "succeeded"; }));
  EXPECT_EQ(runs_.load(), 2);
  EXPECT_EQ(Get("/v1/tasks/" + id).json["result"], "fixed");
}

}  // namespace
}  // namespace taskly::server
