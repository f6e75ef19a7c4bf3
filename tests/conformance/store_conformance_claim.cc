// claim(): what a lease carries, batches, queue preference order, pause/resume, concurrency and
// rate limits.
#include <gmock/gmock.h>

#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

namespace {

std::vector<std::string> Payloads(const std::vector<Lease>& leases) {
  std::vector<std::string> out;
  for (const Lease& l : leases) out.push_back(l.task.spec.payload);
  return out;
}

}  // namespace

TEST_P(StoreConformance, ClaimReturnsAnActiveLeasedTask) {
  TaskId id = Enqueue(Spec("q", "x"));
  clock_.advance(3s);
  std::vector<Lease> leases = Claim({"q"}, 1, 20s, "worker-7");
  ASSERT_EQ(leases.size(), 1u);
  const Lease& lease = leases[0];
  EXPECT_EQ(lease.task.id, id);
  EXPECT_EQ(lease.task.state, TaskState::kActive);
  EXPECT_EQ(lease.task.attempts, 1);
  EXPECT_EQ(lease.task.lease_token, lease.token);
  EXPECT_GT(lease.token, 0u);
  EXPECT_EQ(lease.expires_at, clock_.now() + 20s);
  EXPECT_EQ(lease.task.started_at, clock_.now());
  EXPECT_EQ(lease.task.worker, "worker-7");
  EXPECT_EQ(lease.task.spec.payload, "x");

  Task stored = Get(id);
  EXPECT_EQ(stored.state, TaskState::kActive);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.lease_token, lease.token);
  EXPECT_EQ(stored.worker, "worker-7");
  EXPECT_EQ(stored.started_at, clock_.now());

  // An active task is not handed out again.
  EXPECT_TRUE(Claim({"q"}, 5).empty());
}

TEST_P(StoreConformance, ClaimOnAnEmptyOrUnknownQueueReturnsNothing) {
  EXPECT_TRUE(Claim({"never-used"}, 3).empty());
  Enqueue(Spec("q"));
  EXPECT_TRUE(Claim({"other"}, 3).empty());
}

// store.h requires max_tasks >= 1; like any bad input it is refused, not guessed at.
TEST_P(StoreConformance, ClaimRejectsMaxTasksBelowOne) {
  Enqueue(Spec("q"));
  ClaimRequest request;
  request.queues = {"q"};
  request.max_tasks = 0;
  Result<std::vector<Lease>> r = store_->claim(request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "max_tasks");
  EXPECT_EQ(QueueOf("q").pending, 1);
}

TEST_P(StoreConformance, ClaimTakesUpToMaxTasks) {
  for (int i = 0; i < 7; ++i) Enqueue(Spec("q", std::to_string(i)));
  EXPECT_THAT(Payloads(Claim({"q"}, 3)), ElementsAre("0", "1", "2"));
  EXPECT_THAT(Payloads(Claim({"q"}, 1)), ElementsAre("3"));
  EXPECT_THAT(Payloads(Claim({"q"}, 10)), ElementsAre("4", "5", "6"));
  EXPECT_TRUE(Claim({"q"}, 10).empty());
}

TEST_P(StoreConformance, ClaimPrefersQueuesInTheGivenOrder) {
  Enqueue(Spec("b", "b1"));
  Enqueue(Spec("a", "a1"));
  Enqueue(Spec("b", "b2"));
  Enqueue(Spec("a", "a2"));
  Enqueue(Spec("b", "b3"));
  // One at a time: always from `a` while it has work, then from `b`.
  EXPECT_THAT(Payloads(Claim({"a", "b"}, 1)), ElementsAre("a1"));
  // A batch drains `a` first, then fills up from `b`.
  EXPECT_THAT(Payloads(Claim({"a", "b"}, 3)), ElementsAre("a2", "b1", "b2"));
  // The order is the request's, not the queues' names.
  Enqueue(Spec("a", "a3"));
  EXPECT_THAT(Payloads(Claim({"b", "a"}, 5)), ElementsAre("b3", "a3"));
}

TEST_P(StoreConformance, ClaimSkipsAQueueAtItsConcurrencyLimit) {
  QueueConfig one;
  one.concurrency = 1;
  ASSERT_TRUE(IsOk(store_->set_queue("a", one)));
  for (const char* name : {"a1", "a2", "a3"}) Enqueue(Spec("a", name));
  for (const char* name : {"b1", "b2"}) Enqueue(Spec("b", name));
  EXPECT_THAT(Payloads(Claim({"a", "b"}, 5)), ElementsAre("a1", "b1", "b2"));
}

TEST_P(StoreConformance, PausedQueueGivesNothingUntilResumed) {
  Enqueue(Spec("p", "p1"));
  ASSERT_TRUE(IsOk(store_->pause_queue("p", true)));
  // A paused queue still accepts tasks.
  Enqueue(Spec("p", "p2"));
  Enqueue(Spec("q", "q1"));
  EXPECT_TRUE(Claim({"p"}, 5).empty());
  EXPECT_THAT(Payloads(Claim({"p", "q"}, 5)), ElementsAre("q1"));
  EXPECT_TRUE(QueueOf("p").paused);

  ASSERT_TRUE(IsOk(store_->pause_queue("p", false)));
  EXPECT_FALSE(QueueOf("p").paused);
  EXPECT_THAT(Payloads(Claim({"p"}, 5)), ElementsAre("p1", "p2"));
}

TEST_P(StoreConformance, ConcurrencyLimitIsNeverExceeded) {
  QueueConfig config;
  config.concurrency = 2;
  ASSERT_TRUE(IsOk(store_->set_queue("c", config)));
  for (int i = 0; i < 6; ++i) Enqueue(Spec("c", std::to_string(i)));

  std::vector<Lease> first = Claim({"c"}, 5);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(Claim({"c"}, 5).empty());
  EXPECT_EQ(QueueOf("c").active, 2);

  // Completing one frees exactly one slot.
  ASSERT_TRUE(IsOk(store_->complete(first[0].task.id, first[0].token, "")));
  std::vector<Lease> second = Claim({"c"}, 5);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_TRUE(Claim({"c"}, 5).empty());

  // So do a failure and a cancel of an active task.
  ASSERT_TRUE(IsOk(store_->fail(first[1].task.id, first[1].token, "boom", FailOptions{})));
  EXPECT_EQ(Claim({"c"}, 5).size(), 1u);
  EXPECT_TRUE(Claim({"c"}, 5).empty());
  ASSERT_TRUE(IsOk(store_->cancel(second[0].task.id)));
  EXPECT_EQ(Claim({"c"}, 5).size(), 1u);
  EXPECT_EQ(QueueOf("c").active, 2);
}

// A new bucket starts full (as in every token-bucket limiter users know: a fresh limit allows
// its burst at once), then refills at `rate` up to `burst`.
TEST_P(StoreConformance, RateLimitIsATokenBucket) {
  QueueConfig config;
  config.rate = 10;  // per second: one token per 100 ms
  config.burst = 10;
  ASSERT_TRUE(IsOk(store_->set_queue("r", config)));
  for (int i = 0; i < 30; ++i) Enqueue(Spec("r", std::to_string(i)));

  EXPECT_EQ(Claim({"r"}, 30).size(), 10u);  // a full bucket
  EXPECT_TRUE(Claim({"r"}, 30).empty());
  clock_.advance(50ms);
  EXPECT_TRUE(Claim({"r"}, 30).empty());
  clock_.advance(50ms);
  EXPECT_EQ(Claim({"r"}, 30).size(), 1u);
  EXPECT_TRUE(Claim({"r"}, 30).empty());
  // The bucket refills up to `burst`, not beyond.
  clock_.advance(10s);
  EXPECT_EQ(Claim({"r"}, 30).size(), 10u);
  EXPECT_TRUE(Claim({"r"}, 30).empty());
}

TEST_P(StoreConformance, RateLimitedQueueFallsBackToTheNextQueue) {
  QueueConfig config;
  config.rate = 1;
  config.burst = 1;
  ASSERT_TRUE(IsOk(store_->set_queue("r", config)));
  for (const char* name : {"r1", "r2"}) Enqueue(Spec("r", name));
  Enqueue(Spec("q", "q1"));
  EXPECT_THAT(Payloads(Claim({"r", "q"}, 3)), ElementsAre("r1", "q1"));
}

}  // namespace taskly
