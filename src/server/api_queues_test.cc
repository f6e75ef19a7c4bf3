// /v1/queues over real HTTP: limits set by PATCH (partial updates over the current config) and
// applied by the workers, pause and resume, stats per queue.
#include <atomic>

#include "server/api_test_util.h"

namespace taskly::server {
namespace {

class QueuesApiTest : public ApiTest {
 protected:
  void SetUp() override { StartServer({}, {.queues = {"work", "default"}}); }
  void TearDown() override {
    release_ = true;
    ApiTest::TearDown();
  }
  // A handler that runs until released.
  void HandleBlocking(const std::string& type) {
    ASSERT_TRUE(scheduler()
                    .handle(type,
                            [this](TaskContext& ctx) {
                              running_++;
                              while (!release_ && !ctx.stop_requested()) {
                                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                              }
                              running_--;
                              return Outcome::Success();
                            })
                    .ok());
  }
  Json Queue(const std::string& name) { return Get("/v1/queues/" + name).json; }

  std::atomic<bool> release_{false};
  std::atomic<int> running_{0};
};

TEST_F(QueuesApiTest, PatchCreatesAQueueAndUpdatesOnlyTheFieldsGiven) {
  HttpResult r = Call("PATCH", "/v1/queues/work", R"({"concurrency": 1, "rate": 2.5})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["name"], "work");
  EXPECT_EQ(r.json["config"]["concurrency"], 1);
  EXPECT_EQ(r.json["config"]["rate"], 2.5);
  EXPECT_EQ(r.json["config"]["policy"], "fifo");

  r = Call("PATCH", "/v1/queues/work", R"({"policy": "priority", "aging_step": "10s"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["config"]["concurrency"], 1);  // kept
  EXPECT_EQ(r.json["config"]["rate"], 2.5);       // kept
  EXPECT_EQ(r.json["config"]["policy"], "priority");
  EXPECT_EQ(r.json["config"]["aging_step"], "10s");

  HttpResult list = Get("/v1/queues");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json["queues"].size(), 1u);
  EXPECT_EQ(list.json["queues"][0], r.json);
  QueueInfo stored = store().queues()->front();
  EXPECT_EQ(stored.config.concurrency, 1);
  EXPECT_EQ(stored.config.policy, OrderingPolicy::kPriority);
}

TEST_F(QueuesApiTest, AConcurrencyLimitIsAppliedAndVisible) {
  HandleBlocking("job");
  ASSERT_EQ(Call("PATCH", "/v1/queues/work", R"({"concurrency": 1})").status, 200);
  ASSERT_TRUE(scheduler().start().ok());
  Submit("job", {{"queue", "work"}});
  Submit("job", {{"queue", "work"}});
  ASSERT_TRUE(WaitFor([&] { return running_ == 1; }));
  // Two slots are free, but the queue allows one task at a time.
  ASSERT_TRUE(WaitFor([&] { return Queue("work")["counts"]["active"] == 1; }));
  Json counts = Queue("work")["counts"];
  EXPECT_EQ(counts["active"], 1);
  EXPECT_EQ(counts["pending"], 1);
  EXPECT_EQ(running_.load(), 1);

  // Raising the limit lets the second one start.
  ASSERT_EQ(Call("PATCH", "/v1/queues/work", R"({"concurrency": 2})").status, 200);
  ASSERT_TRUE(WaitFor([&] { return running_ == 2; }));
  EXPECT_EQ(Queue("work")["counts"]["active"], 2);
}

TEST_F(QueuesApiTest, PausesAndResumes) {
  HandleBlocking("job");
  ASSERT_EQ(Call("PATCH", "/v1/queues/work", "{}").status, 200);
  HttpResult paused = Post("/v1/queues/work/pause");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.json["paused"], true);
  ASSERT_TRUE(scheduler().start().ok());
  std::string id = Submit("job", {{"queue", "work"}});
  // Paused: a "default" task runs (the workers are alive), the "work" one does not.
  std::string other = Submit("job");
  ASSERT_TRUE(WaitFor([&] { return StateOf(other) == "active"; }));
  EXPECT_EQ(StateOf(id), "pending");

  HttpResult resumed = Post("/v1/queues/work/resume");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(resumed.json["paused"], false);
  ASSERT_TRUE(WaitFor([&] { return StateOf(id) == "active"; }));
}

}  // namespace
}  // namespace taskly::server
