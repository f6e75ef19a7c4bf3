// Time-driven transitions, all by the injected clock: delayed tasks (scheduled -> pending) and
// deadlines (pending/scheduled -> expired).
#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;

TEST_P(StoreConformance, DelayedTaskIsScheduledUntilRunAt) {
  TaskSpec spec = Spec("q");
  const TimePoint run_at = clock_.now() + 1min;
  spec.run_at = run_at;
  TaskId id = Enqueue(spec);
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kScheduled);
  EXPECT_EQ(t.scheduled_for, run_at);
  EXPECT_EQ(QueueOf("q").scheduled, 1);
  EXPECT_EQ(QueueOf("q").pending, 0);
  EXPECT_TRUE(Claim({"q"}).empty());

  clock_.advance(1min - 1ns);
  EXPECT_TRUE(Claim({"q"}).empty());
  EXPECT_EQ(Get(id).state, TaskState::kScheduled);

  // Due exactly at run_at, and claim sees it without a maintain() pass.
  clock_.advance(1ns);
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].task.id, id);
  EXPECT_EQ(l[0].task.attempts, 1);
}

TEST_P(StoreConformance, MaintainPromotesDueScheduledTasks) {
  TaskSpec spec = Spec("q");
  spec.run_at = clock_.now() + 10s;
  TaskId due = Enqueue(spec);
  spec.run_at = clock_.now() + 1h;
  TaskId later = Enqueue(spec);

  clock_.advance(10s);
  MaintenanceReport report = Maintain();
  EXPECT_EQ(report.promoted, 1);
  Task t = Get(due);
  EXPECT_EQ(t.state, TaskState::kPending);
  EXPECT_EQ(t.ready_at, clock_.now());
  EXPECT_EQ(Get(later).state, TaskState::kScheduled);
  EXPECT_EQ(QueueOf("q").pending, 1);
  EXPECT_EQ(QueueOf("q").scheduled, 1);

  // Promoted once: a second pass has nothing to do.
  EXPECT_EQ(Maintain().promoted, 0);
  std::vector<Lease> l = Claim({"q"}, 5);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].task.id, due);
}

TEST_P(StoreConformance, PendingTaskPastItsDeadlineIsExpiredByClaim) {
  TaskSpec spec = Spec("q", "late");
  spec.deadline = clock_.now() + 10s;
  TaskId late = Enqueue(spec);
  TaskId ok = Enqueue(Spec("q", "ok"));

  clock_.advance(11s);
  std::vector<Lease> l = Claim({"q"}, 1);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].task.id, ok) << "the expired task must be skipped, not handed out";
  Task t = Get(late);
  EXPECT_EQ(t.state, TaskState::kExpired);
  EXPECT_EQ(t.finished_at, clock_.now());
  EXPECT_EQ(t.attempts, 0);
  EXPECT_EQ(QueueOf("q").expired, 1);
}

TEST_P(StoreConformance, PendingTaskPastItsDeadlineIsExpiredByMaintain) {
  TaskSpec spec = Spec("q");
  spec.deadline = clock_.now() + 10s;
  TaskId id = Enqueue(spec);
  clock_.advance(5s);
  EXPECT_EQ(Maintain().expired, 0);
  EXPECT_EQ(Get(id).state, TaskState::kPending);

  clock_.advance(6s);
  EXPECT_EQ(Maintain().expired, 1);
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kExpired);
  EXPECT_EQ(t.finished_at, clock_.now());
  EXPECT_TRUE(Claim({"q"}).empty());
}

// A task delayed past its own deadline can never start in time: maintain() expires it while it
// is still scheduled.
TEST_P(StoreConformance, ScheduledTaskPastItsDeadlineIsExpired) {
  TaskSpec spec = Spec("q");
  spec.run_at = clock_.now() + 1min;
  spec.deadline = clock_.now() + 10s;
  TaskId id = Enqueue(spec);
  clock_.advance(11s);
  MaintenanceReport report = Maintain();
  EXPECT_EQ(report.expired, 1);
  EXPECT_EQ(report.promoted, 0);
  EXPECT_EQ(Get(id).state, TaskState::kExpired);
  clock_.advance(1min);
  EXPECT_TRUE(Claim({"q"}).empty());
  EXPECT_EQ(Get(id).state, TaskState::kExpired);
}

// A retry waiting in `scheduled` whose deadline passes expires too (it never started again).
TEST_P(StoreConformance, RetryPastTheDeadlineIsExpired) {
  TaskSpec spec = Spec("q");
  spec.deadline = clock_.now() + 1min;
  TaskId id = Enqueue(spec);
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  ASSERT_TRUE(IsOk(store_->fail(id, l[0].token, "boom", FailOptions{clock_.now() + 5min, false})));
  clock_.advance(5min);
  EXPECT_TRUE(Claim({"q"}).empty());
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kExpired);
  EXPECT_EQ(t.finished_at, clock_.now());
  EXPECT_EQ(t.attempts, 1);
}

}  // namespace taskly
