// Memory-store specifics the conformance suite cannot see: finding tasks by id through the
// counter-indexed table when a long-lived task's entry is taken by a newer id.

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

}  // namespace
}  // namespace taskly
