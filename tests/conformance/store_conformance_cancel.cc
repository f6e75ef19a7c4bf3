// cancel() in every state, and the manual retry() of finished tasks.
#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;

TEST_P(StoreConformance, CancelScheduledTask) {
  TaskSpec spec = Spec("q");
  spec.run_at = clock_.now() + 1min;
  TaskId id = Enqueue(spec);
  ASSERT_TRUE(IsOk(store_->cancel(id)));
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kCancelled);
  EXPECT_EQ(t.finished_at, clock_.now());
  clock_.advance(2min);
  EXPECT_EQ(Maintain().promoted, 0);
  EXPECT_TRUE(Claim({"q"}).empty());
  EXPECT_EQ(Get(id).state, TaskState::kCancelled);
}

TEST_P(StoreConformance, CancelPendingTask) {
  TaskId id = Enqueue(Spec("q", "x"));
  TaskId keep = Enqueue(Spec("q", "y"));
  clock_.advance(1s);
  ASSERT_TRUE(IsOk(store_->cancel(id)));
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kCancelled);
  EXPECT_EQ(t.finished_at, clock_.now());
  std::vector<Lease> l = Claim({"q"}, 5);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].task.id, keep);
  EXPECT_EQ(QueueOf("q").cancelled, 1);
}

TEST_P(StoreConformance, CancelActiveTaskVoidsItsLease) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"}, 1, 10s);
  ASSERT_EQ(l.size(), 1u);
  ASSERT_TRUE(IsOk(store_->cancel(id)));
  EXPECT_EQ(Get(id).state, TaskState::kCancelled);

  // The holder learns of the cancel and settles nothing (store.h: kCancelled; kAborted is the
  // generic stale-token answer and is accepted too).
  auto rejected = [](StatusCode code) {
    return code == StatusCode::kCancelled || code == StatusCode::kAborted;
  };
  Status complete = store_->complete(id, l[0].token, "done");
  EXPECT_TRUE(rejected(complete.code())) << complete.ToString();
  Result<TaskState> fail = store_->fail(id, l[0].token, "err", FailOptions{});
  EXPECT_TRUE(rejected(fail.status().code())) << fail.status().ToString();
  Status yield = store_->yield(id, l[0].token, "cp");
  EXPECT_TRUE(rejected(yield.code())) << yield.ToString();
  Result<TimePoint> heartbeat = store_->heartbeat(id, l[0].token, 10s);
  EXPECT_TRUE(rejected(heartbeat.status().code())) << heartbeat.status().ToString();

  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kCancelled);
  EXPECT_EQ(t.result, "");
  EXPECT_EQ(t.checkpoint, "");
  // The voided lease is not "recovered" later either.
  clock_.advance(11s);
  MaintenanceReport report = Maintain();
  EXPECT_EQ(report.recovered, 0);
  EXPECT_EQ(report.quarantined, 0);
  EXPECT_EQ(Get(id).state, TaskState::kCancelled);
  EXPECT_TRUE(Claim({"q"}).empty());
}

TEST_P(StoreConformance, CancelTerminalTaskIsFailedPrecondition) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  ASSERT_TRUE(IsOk(store_->complete(id, l[0].token, "r")));
  Status s = store_->cancel(id);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(Get(id).state, TaskState::kSucceeded);

  TaskId cancelled = Enqueue(Spec("q"));
  ASSERT_TRUE(IsOk(store_->cancel(cancelled)));
  s = store_->cancel(cancelled);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
}

TEST_P(StoreConformance, CancelUnknownTaskIsNotFound) {
  Enqueue(Spec("q"));
  Status s = store_->cancel("no-such-task");
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
}

TEST_P(StoreConformance, RetryRevivesDeadCancelledAndExpiredTasks) {
  // Dead.
  TaskId dead = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  ASSERT_TRUE(IsOk(store_->fail(dead, l[0].token, "bad", FailOptions{{}, true})));
  // Cancelled.
  TaskId cancelled = Enqueue(Spec("q"));
  ASSERT_TRUE(IsOk(store_->cancel(cancelled)));
  // Expired.
  TaskSpec spec = Spec("q");
  spec.deadline = clock_.now() + 1s;
  TaskId expired = Enqueue(spec);
  clock_.advance(2s);
  EXPECT_EQ(Maintain().expired, 1);
  ASSERT_EQ(Get(expired).state, TaskState::kExpired);

  for (const TaskId& id : {dead, cancelled, expired}) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(IsOk(store_->retry(id)));
    Task t = Get(id);
    EXPECT_EQ(t.state, TaskState::kPending);
    EXPECT_EQ(t.attempts, 0);
  }
  EXPECT_EQ(QueueOf("q").dead, 0);
  EXPECT_EQ(QueueOf("q").cancelled, 0);

  // The revived dead task runs again with a fresh attempt count.
  l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].task.id, dead);
  EXPECT_EQ(l[0].task.attempts, 1);
}

TEST_P(StoreConformance, RetryOfALiveOrSucceededTaskIsRefused) {
  TaskId pending = Enqueue(Spec("q"));
  Status s = store_->retry(pending);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(Get(pending).state, TaskState::kPending);

  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  s = store_->retry(pending);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(Get(pending).state, TaskState::kActive);

  ASSERT_TRUE(IsOk(store_->complete(pending, l[0].token, "")));
  s = store_->retry(pending);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(Get(pending).state, TaskState::kSucceeded);

  s = store_->retry("no-such-task");
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
}

}  // namespace taskly
