// Idempotent enqueue: unique keys (with and without a TTL) and schedule ticks keyed by
// (schedule_id, tick_due).
#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;

namespace {

TaskSpec Unique(std::string key, Duration ttl = Duration::zero()) {
  TaskSpec spec;
  spec.type = "t";
  spec.queue = "q";
  spec.unique_key = std::move(key);
  spec.unique_ttl = ttl;
  return spec;
}

TaskSpec Tick(std::string schedule, TimePoint due) {
  TaskSpec spec;
  spec.type = "t";
  spec.queue = "q";
  spec.schedule_id = std::move(schedule);
  spec.tick_due = due;
  return spec;
}

}  // namespace

TEST_P(StoreConformance, UniqueKeyDeduplicatesWhileTheTaskIsLive) {
  Result<EnqueueResult> first = store_->enqueue_one(Unique("k"));
  ASSERT_TRUE(IsOk(first));
  EXPECT_TRUE(first->created);

  // Pending, then active: still live, so still the same task.
  Result<EnqueueResult> again = store_->enqueue_one(Unique("k"));
  ASSERT_TRUE(IsOk(again));
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, first->id);
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  again = store_->enqueue_one(Unique("k"));
  ASSERT_TRUE(IsOk(again));
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, first->id);

  // Another key is another task.
  Result<EnqueueResult> other = store_->enqueue_one(Unique("k2"));
  ASSERT_TRUE(IsOk(other));
  EXPECT_TRUE(other->created);
  EXPECT_NE(other->id, first->id);

  // ttl 0: the key holds until the task is terminal, then a new task is created.
  ASSERT_TRUE(IsOk(store_->complete(first->id, l[0].token, "")));
  Result<EnqueueResult> after = store_->enqueue_one(Unique("k"));
  ASSERT_TRUE(IsOk(after));
  EXPECT_TRUE(after->created);
  EXPECT_NE(after->id, first->id);
  EXPECT_EQ(QueueOf("q").pending, 2);
}

TEST_P(StoreConformance, UniqueKeyIsReleasedByEveryTerminalState) {
  Result<EnqueueResult> first = store_->enqueue_one(Unique("k"));
  ASSERT_TRUE(IsOk(first));
  ASSERT_TRUE(IsOk(store_->cancel(first->id)));
  Result<EnqueueResult> second = store_->enqueue_one(Unique("k"));
  ASSERT_TRUE(IsOk(second));
  EXPECT_TRUE(second->created) << "after cancelled";

  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  ASSERT_TRUE(IsOk(store_->fail(second->id, l[0].token, "x", FailOptions{{}, true})));
  Result<EnqueueResult> third = store_->enqueue_one(Unique("k"));
  ASSERT_TRUE(IsOk(third));
  EXPECT_TRUE(third->created) << "after dead";
}

TEST_P(StoreConformance, UniqueKeyWithTtlHoldsForTheTtl) {
  Result<EnqueueResult> first = store_->enqueue_one(Unique("k", 1min));
  ASSERT_TRUE(IsOk(first));
  EXPECT_TRUE(first->created);

  clock_.advance(59s);
  Result<EnqueueResult> again = store_->enqueue_one(Unique("k", 1min));
  ASSERT_TRUE(IsOk(again));
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, first->id);

  // The TTL has passed (the first task is still pending): a new task is created.
  clock_.advance(2s);
  Result<EnqueueResult> after = store_->enqueue_one(Unique("k", 1min));
  ASSERT_TRUE(IsOk(after));
  EXPECT_TRUE(after->created);
  EXPECT_NE(after->id, first->id);
  EXPECT_EQ(QueueOf("q").pending, 2);
}

TEST_P(StoreConformance, UniqueKeyInOneBatchCreatesOneTask) {
  std::vector<TaskSpec> batch = {Unique("k"), Unique("k")};
  Result<std::vector<EnqueueResult>> r = store_->enqueue(batch);
  ASSERT_TRUE(IsOk(r));
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].created);
  EXPECT_FALSE((*r)[1].created);
  EXPECT_EQ((*r)[1].id, (*r)[0].id);
  EXPECT_EQ(QueueOf("q").pending, 1);
}

TEST_P(StoreConformance, ScheduleTickIsEnqueuedAtMostOnce) {
  const TimePoint t0 = clock_.now();
  Result<EnqueueResult> first = store_->enqueue_one(Tick("s1", t0 + 1min));
  ASSERT_TRUE(IsOk(first));
  EXPECT_TRUE(first->created);

  // The same tick again (a second leader): no new task.
  Result<EnqueueResult> dup = store_->enqueue_one(Tick("s1", t0 + 1min));
  ASSERT_TRUE(IsOk(dup));
  EXPECT_FALSE(dup->created);
  EXPECT_EQ(dup->id, first->id);

  // An older tick after a newer one was enqueued: refused.
  Result<EnqueueResult> older = store_->enqueue_one(Tick("s1", t0));
  ASSERT_TRUE(IsOk(older));
  EXPECT_FALSE(older->created);

  // Another schedule's tick at the same time is its own task.
  Result<EnqueueResult> other = store_->enqueue_one(Tick("s2", t0 + 1min));
  ASSERT_TRUE(IsOk(other));
  EXPECT_TRUE(other->created);

  // A newer tick is created.
  Result<EnqueueResult> newer = store_->enqueue_one(Tick("s1", t0 + 2min));
  ASSERT_TRUE(IsOk(newer));
  EXPECT_TRUE(newer->created);
  EXPECT_NE(newer->id, first->id);

  EXPECT_EQ(QueueOf("q").pending, 3);
}

// The tick key outlives the tick's task: a slow second leader that enqueues a tick after the
// first one already ran must not run it again.
TEST_P(StoreConformance, ScheduleTickStaysDeduplicatedAfterItsTaskFinished) {
  const TimePoint due = clock_.now();
  Result<EnqueueResult> first = store_->enqueue_one(Tick("s1", due));
  ASSERT_TRUE(IsOk(first));
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  ASSERT_TRUE(IsOk(store_->complete(first->id, l[0].token, "")));

  Result<EnqueueResult> late = store_->enqueue_one(Tick("s1", due));
  ASSERT_TRUE(IsOk(late));
  EXPECT_FALSE(late->created);
  EXPECT_EQ(late->id, first->id);
  EXPECT_TRUE(Claim({"q"}).empty());
}

TEST_P(StoreConformance, ScheduleTicksInOneBatchAreDeduplicated) {
  const TimePoint due = clock_.now();
  std::vector<TaskSpec> batch = {Tick("s1", due), Tick("s1", due), Tick("s1", due + 1s)};
  Result<std::vector<EnqueueResult>> r = store_->enqueue(batch);
  ASSERT_TRUE(IsOk(r));
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE((*r)[0].created);
  EXPECT_FALSE((*r)[1].created);
  EXPECT_EQ((*r)[1].id, (*r)[0].id);
  EXPECT_TRUE((*r)[2].created);
  EXPECT_EQ(QueueOf("q").pending, 2);
}

}  // namespace taskly
