// Retention: maintain() deletes terminal tasks beyond RetentionPolicy's count and age, oldest
// first, and never touches live tasks.
#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;

namespace {

bool Gone(Store& store, const TaskId& id) {
  Result<Task> r = store.get(id);
  return !r.ok() && r.status().code() == StatusCode::kNotFound;
}

}  // namespace

TEST_P(StoreConformance, RetentionKeepsTheNewestMaxCountTerminalTasks) {
  Recreate(RetentionPolicy{.max_count = 3, .max_age = 24h});
  std::vector<TaskId> finished;
  for (int i = 0; i < 5; ++i) {
    TaskId id = Enqueue(Spec("q"));
    std::vector<Lease> l = Claim({"q"});
    ASSERT_EQ(l.size(), 1u);
    ASSERT_TRUE(IsOk(store_->complete(id, l[0].token, "")));
    finished.push_back(id);
    clock_.advance(1s);
  }
  TaskId live = Enqueue(Spec("q"));
  TaskSpec later = Spec("q");
  later.run_at = clock_.now() + 1h;
  TaskId scheduled = Enqueue(later);

  // A backend may apply retention as tasks finish or only in maintain(); either way the two
  // oldest are gone once maintain() has run.
  EXPECT_LE(Maintain().deleted, 2);
  EXPECT_TRUE(Gone(*store_, finished[0]));
  EXPECT_TRUE(Gone(*store_, finished[1]));
  for (size_t i = 2; i < finished.size(); ++i) {
    EXPECT_EQ(Get(finished[i]).state, TaskState::kSucceeded) << "task " << i;
  }
  EXPECT_EQ(Get(live).state, TaskState::kPending);
  EXPECT_EQ(Get(scheduled).state, TaskState::kScheduled);
  EXPECT_EQ(QueueOf("q").succeeded, 3);

  Result<TaskPage> page = store_->list(Filter(TaskState::kSucceeded), PageRequest{});
  ASSERT_TRUE(IsOk(page));
  ASSERT_EQ(page->tasks.size(), 3u);
  EXPECT_EQ(page->tasks[0].id, finished[2]);

  // Nothing more to delete.
  EXPECT_EQ(Maintain().deleted, 0);
}

TEST_P(StoreConformance, RetentionCountsEveryTerminalState) {
  Recreate(RetentionPolicy{.max_count = 1, .max_age = 24h});
  TaskId cancelled = Enqueue(Spec("q"));
  ASSERT_TRUE(IsOk(store_->cancel(cancelled)));
  clock_.advance(1s);
  TaskId dead = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  ASSERT_TRUE(IsOk(store_->fail(dead, l[0].token, "x", FailOptions{{}, true})));

  EXPECT_LE(Maintain().deleted, 1);
  EXPECT_TRUE(Gone(*store_, cancelled));
  EXPECT_EQ(Get(dead).state, TaskState::kDead);
}

TEST_P(StoreConformance, RetentionDeletesTerminalTasksOlderThanMaxAge) {
  Recreate(RetentionPolicy{.max_count = 1000, .max_age = 1h});
  TaskId old_done = Enqueue(Spec("q"));
  TaskId old_live = Enqueue(Spec("q"));  // pending all along: never deleted
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  ASSERT_EQ(l[0].task.id, old_done);
  ASSERT_TRUE(IsOk(store_->complete(old_done, l[0].token, "")));

  clock_.advance(30min);
  TaskId new_done = Enqueue(Spec("other"));
  ASSERT_TRUE(IsOk(store_->cancel(new_done)));
  TaskId active = Enqueue(Spec("other"));
  std::vector<Lease> held = Claim({"other"}, 1, 48h);
  ASSERT_EQ(held.size(), 1u);

  clock_.advance(29min);
  EXPECT_EQ(Maintain().deleted, 0);

  clock_.advance(2min);  // old_done finished 61 min ago, new_done 31 min ago
  EXPECT_EQ(Maintain().deleted, 1);
  EXPECT_TRUE(Gone(*store_, old_done));
  EXPECT_EQ(Get(new_done).state, TaskState::kCancelled);
  EXPECT_EQ(Get(old_live).state, TaskState::kPending);
  EXPECT_EQ(Get(active).state, TaskState::kActive);

  clock_.advance(24h);
  EXPECT_EQ(Maintain().deleted, 1);
  EXPECT_TRUE(Gone(*store_, new_done));
  EXPECT_EQ(Get(old_live).state, TaskState::kPending);
  EXPECT_TRUE(IsOk(store_->complete(active, held[0].token, "")));
}

}  // namespace taskly
