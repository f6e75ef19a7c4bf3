// taskly::Client: the API's submit semantics over any store (validation, limits, idempotency,
// delays), and enqueue straight into Redis with a worker node in another store connection
// running what was enqueued.
#include "taskly/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "taskly/redis_store.h"
#include "taskly/scheduler.h"
#include "tests/support/redis_server.h"

namespace taskly {
namespace {

using namespace std::chrono_literals;

TaskSpec Spec(std::string payload = "{}") {
  return TaskSpec{.type = "noop", .payload = std::move(payload)};
}

class ClientOverMemoryTest : public ::testing::Test {
 protected:
  SimulatedClock clock_{TimePoint(std::chrono::hours(1000))};
  std::unique_ptr<Store> store_ = NewMemoryStore({.clock = &clock_});
  std::unique_ptr<Client> client_ =
      Client::Over(*store_, {.clock = &clock_, .max_payload_bytes = 16, .max_batch = 3});

  int64_t Count() {
    Result<TaskPage> page = store_->list({}, {});
    EXPECT_TRUE(page.ok());
    return page.ok() ? static_cast<int64_t>(page->tasks.size()) : -1;
  }
};

TEST_F(ClientOverMemoryTest, EnqueuesAndInspects) {
  Result<EnqueueResult> r = client_->enqueue(Spec());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->created);
  Result<Task> task = client_->get(r->id);
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->state, TaskState::kPending);
  EXPECT_EQ(task->spec.type, "noop");
  ASSERT_TRUE(client_->cancel(r->id).ok());
  EXPECT_EQ(client_->get(r->id)->state, TaskState::kCancelled);
  EXPECT_EQ(client_->cancel(r->id).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(client_->retry(r->id).ok());
  EXPECT_EQ(client_->get(r->id)->state, TaskState::kPending);
  EXPECT_EQ(client_->get("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(ClientOverMemoryTest, BadSpecNamesItsFieldAndEnqueuesNothing) {
  TaskSpec bad = Spec();
  bad.queue = "no spaces";
  Result<EnqueueResult> one = client_->enqueue(bad);
  EXPECT_EQ(one.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(one.status().field(), "queue");
  std::vector<TaskSpec> batch = {Spec(), bad};
  Result<std::vector<EnqueueResult>> many = client_->enqueue(batch);
  EXPECT_EQ(many.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(many.status().field(), "tasks[1].queue");
  EXPECT_EQ(Count(), 0);
}

TEST_F(ClientOverMemoryTest, LimitsPayloadAndBatchSize) {
  Result<EnqueueResult> big = client_->enqueue(Spec(std::string(17, 'x')));
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(big.status().field(), "payload");
  EXPECT_TRUE(client_->enqueue(Spec(std::string(16, 'x'))).ok());

  std::vector<TaskSpec> batch = {Spec(), Spec(std::string(17, 'x'))};
  Result<std::vector<EnqueueResult>> r = client_->enqueue(batch);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().field(), "tasks[1].payload");
  std::vector<TaskSpec> four(4, Spec());
  EXPECT_EQ(client_->enqueue(four).status().field(), "tasks");
  EXPECT_EQ(client_->enqueue(std::span<const TaskSpec>()).status().field(), "tasks");
  EXPECT_EQ(Count(), 1);
}

TEST_F(ClientOverMemoryTest, UniqueKeyReturnsTheLiveTask) {
  TaskSpec spec = Spec();
  spec.unique_key = "invoice-7";
  spec.unique_ttl = 1h;
  Result<EnqueueResult> first = client_->enqueue(spec);
  Result<EnqueueResult> second = client_->enqueue(spec);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->id, first->id);
}

TEST_F(ClientOverMemoryTest, DelayCountsFromTheClientClock) {
  Result<EnqueueResult> r = client_->enqueue_in(Spec(), 5min);
  ASSERT_TRUE(r.ok());
  Result<Task> task = client_->get(r->id);
  EXPECT_EQ(task->state, TaskState::kScheduled);
  ASSERT_TRUE(task->spec.run_at.has_value());
  EXPECT_EQ(*task->spec.run_at, clock_.now() + 5min);
  EXPECT_EQ(client_->enqueue_in(Spec(), -1s).status().field(), "delay");
}

TEST_F(ClientOverMemoryTest, PausesAndResumesQueues) {
  ASSERT_TRUE(client_->enqueue(Spec()).ok());
  ASSERT_TRUE(client_->pause_queue("default").ok());
  Result<std::vector<QueueInfo>> queues = client_->queues();
  ASSERT_TRUE(queues.ok());
  ASSERT_EQ(queues->size(), 1u);
  EXPECT_TRUE(queues->front().paused);
  EXPECT_EQ(queues->front().pending, 1);
  ASSERT_TRUE(client_->resume_queue("default").ok());
  EXPECT_FALSE(client_->queues()->front().paused);
}

TEST(ClientConnectTest, RefusesStoresThatBelongToOneProcess) {
  for (const char* url : {"sqlite:/tmp/x.db", "memory", ""}) {
    Result<std::unique_ptr<Client>> c = Client::Connect({.store = url});
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(c.status().field(), "store") << url;
  }
}

TEST(ClientConnectTest, UnreachableRedisIsUnavailable) {
  // The address of a server that was stopped: nothing listens there now.
  std::unique_ptr<testing::RedisServer> redis = testing::RedisServer::Start();
  ASSERT_NE(redis, nullptr) << testing::RedisServer::last_error();
  std::string url = redis->url();
  redis.reset();
  Result<std::unique_ptr<Client>> c = Client::Connect({.store = url});
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
}

// The producer enqueues straight into Redis; a worker node with its own store connection (as
// another process would have) runs the tasks, and the producer sees them succeed.
TEST(ClientRedisTest, EnqueuedTasksRunOnAWorkerNode) {
  std::unique_ptr<testing::RedisServer> redis = testing::RedisServer::Start();
  ASSERT_NE(redis, nullptr) << testing::RedisServer::last_error();
  Result<std::unique_ptr<Client>> client = Client::Connect({.store = redis->url()});
  ASSERT_TRUE(client.ok()) << client.status().ToString();

  Result<std::unique_ptr<Store>> worker_store = OpenRedisStore({.url = redis->url()});
  ASSERT_TRUE(worker_store.ok()) << worker_store.status().ToString();
  Result<std::unique_ptr<Scheduler>> worker =
      Scheduler::Create({.store = worker_store->get(), .slots = 2});
  ASSERT_TRUE(worker.ok());
  std::atomic<int> ran{0};
  ASSERT_TRUE((*worker)
                  ->handle("noop",
                           [&](TaskContext&) {
                             ran++;
                             return Outcome::Success("done");
                           })
                  .ok());

  std::vector<TaskSpec> specs(100, Spec(R"({"n":1})"));
  Result<std::vector<EnqueueResult>> ids = (*client)->enqueue(specs);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  Result<EnqueueResult> cancelled = (*client)->enqueue(Spec());
  ASSERT_TRUE(cancelled.ok());
  ASSERT_TRUE((*client)->cancel(cancelled->id).ok());

  ASSERT_TRUE((*worker)->start().ok());
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (ran < 100 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);  // real processes on a real clock: poll the outcome
  }
  (*worker)->stop();
  EXPECT_EQ(ran.load(), 100);
  for (const EnqueueResult& r : *ids) {
    Result<Task> task = (*client)->get(r.id);
    ASSERT_TRUE(task.ok());
    EXPECT_EQ(task->state, TaskState::kSucceeded);
    EXPECT_EQ(task->result, "done");
  }
  EXPECT_EQ((*client)->get(cancelled->id)->state, TaskState::kCancelled);
}

}  // namespace
}  // namespace taskly
