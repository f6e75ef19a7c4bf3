// Memory-store specifics the conformance suite cannot see: finding tasks by id through the
// counter-indexed table when a long-lived task's entry is taken by a newer id, and while the
// table grows; ready-set entries that outlive their task's stay in the ready state.

#include <gtest/gtest.h>

#include "taskly/store.h"

namespace taskly {
namespace {

TEST(MemoryStoreTest, LongLivedTasksStayFindableWhileManyNewerOnesComeAndGo) {
  SimulatedClock clock;
  std::unique_ptr<Store> store = NewMemoryStore({.clock = &clock, .retention = {.max_count = 10}});
  // Two tasks that stay pending in a paused queue while 5,000 others pass through: their
  // table entries are taken by newer ids several times over.
  TaskId old1 = store->enqueue_one({.type = "t", .queue = "parked"})->id;
  TaskId old2 = store->enqueue_one({.type = "t", .queue = "parked"})->id;
  ASSERT_TRUE(store->pause_queue("parked", true).ok());
  for (int i = 0; i < 5000; ++i) {
    TaskId id = store->enqueue_one({.type = "t", .queue = "busy"})->id;
    Result<std::vector<Lease>> l = store->claim({.queues = {"busy"}, .worker = "w"});
    ASSERT_TRUE(l.ok());
    ASSERT_EQ(l->size(), 1u);
    ASSERT_EQ(l->front().task.id, id);
    ASSERT_TRUE(store->complete(id, l->front().token, "").ok());
  }
  EXPECT_EQ(store->get(old1)->state, TaskState::kPending);
  EXPECT_EQ(store->get(old2)->state, TaskState::kPending);
  ASSERT_TRUE(store->cancel(old1).ok());
  EXPECT_EQ(store->get(old1)->state, TaskState::kCancelled);
  // Retention (10 terminal tasks) deletes old1 once ten newer tasks finish after it.
  for (int i = 0; i < 11; ++i) {
    TaskId id = store->enqueue_one({.type = "t", .queue = "busy"})->id;
    Result<std::vector<Lease>> l = store->claim({.queues = {"busy"}, .worker = "w"});
    ASSERT_TRUE(store->complete(id, l->front().token, "").ok());
  }
  EXPECT_EQ(store->get(old1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->get(old2)->state, TaskState::kPending);
  // Ids that were never issued, or are malformed, are simply not found.
  EXPECT_EQ(store->get("not-an-id").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->get("ZZZZZZZZZZZZZZZ").status().code(), StatusCode::kNotFound);
}

TEST(MemoryStoreTest, IdTableGrowsWhileAnOldIdIsInOverflow) {
  SimulatedClock clock;
  std::unique_ptr<Store> store = NewMemoryStore({.clock = &clock, .retention = {.max_count = 100}});
  TaskId old = store->enqueue_one({.type = "t", .queue = "parked"})->id;
  ASSERT_TRUE(store->pause_queue("parked", true).ok());
  // 3,000 newer ids pass through a table of 1,024 entries: old's entry is taken.
  for (int i = 0; i < 3000; ++i) {
    TaskId id = store->enqueue_one({.type = "t", .queue = "busy"})->id;
    Result<std::vector<Lease>> l = store->claim({.queues = {"busy"}, .worker = "w"});
    ASSERT_TRUE(l.ok());
    ASSERT_EQ(l->size(), 1u);
    ASSERT_TRUE(store->complete(id, l->front().token, "").ok());
  }
  // 5,000 tasks that stay: the table doubles several times.
  std::vector<TaskSpec> specs(5000, TaskSpec{.type = "t", .queue = "bulk"});
  Result<std::vector<EnqueueResult>> bulk = store->enqueue(specs);
  ASSERT_TRUE(bulk.ok());
  ASSERT_EQ(bulk->size(), 5000u);
  EXPECT_EQ(store->get(old)->state, TaskState::kPending);
  for (const EnqueueResult& r : *bulk) {
    Result<Task> t = store->get(r.id);
    ASSERT_TRUE(t.ok()) << r.id;
    EXPECT_EQ(t->id, r.id);
    EXPECT_EQ(t->state, TaskState::kPending);
  }
  // Every one is claimed once, in order, and settles under its token.
  size_t next = 0;
  while (next < bulk->size()) {
    Result<std::vector<Lease>> l =
        store->claim({.queues = {"bulk"}, .worker = "w", .max_tasks = 64});
    ASSERT_TRUE(l.ok());
    ASSERT_FALSE(l->empty());
    for (const Lease& lease : *l) {
      ASSERT_EQ(lease.task.id, (*bulk)[next++].id);
      ASSERT_TRUE(store->complete(lease.task.id, lease.token, "").ok());
    }
  }
  ASSERT_TRUE(store->cancel(old).ok());
  EXPECT_EQ(store->get(old)->state, TaskState::kCancelled);
}

// A task that leaves the ready set without being claimed (cancel) keeps a stale entry there; one
// that comes back after a claim (expired lease) gets a new entry. Neither is delivered twice.
TEST(MemoryStoreTest, ReturningTasksAreDeliveredOnce) {
  SimulatedClock clock;
  std::unique_ptr<Store> store = NewMemoryStore({.clock = &clock});
  TaskId a = store->enqueue_one({.type = "t"})->id;
  TaskId b = store->enqueue_one({.type = "t"})->id;
  ASSERT_TRUE(store->cancel(a).ok());
  ASSERT_TRUE(store->retry(a).ok());  // pending again, behind b
  ClaimRequest all{
      .queues = {"default"}, .worker = "w", .max_tasks = 10, .lease = std::chrono::seconds(5)};
  Result<std::vector<Lease>> first = store->claim(all);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].task.id, b);
  EXPECT_EQ((*first)[1].task.id, a);
  clock.advance(std::chrono::seconds(6));
  Result<MaintenanceReport> report = store->maintain();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->recovered, 2);
  Result<std::vector<Lease>> second = store->claim(all);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[0].task.id, b);  // back in their original places
  EXPECT_EQ((*second)[1].task.id, a);
  EXPECT_TRUE(store->claim(all)->empty());
}

}  // namespace
}  // namespace taskly
