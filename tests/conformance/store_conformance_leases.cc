// Leases and fencing: tokens grow on every claim, stale tokens are rejected and change nothing,
// expired leases are recovered by maintain() (or quarantined when attempts are spent), and
// heartbeats extend a lease.
#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;

namespace {

// Every settle operation with `token` must be rejected with kAborted.
void ExpectAllRejected(Store& store, const TaskId& id, uint64_t token) {
  Status complete = store.complete(id, token, "late result");
  EXPECT_EQ(complete.code(), StatusCode::kAborted) << complete.ToString();
  Result<TaskState> fail = store.fail(id, token, "late error", FailOptions{});
  EXPECT_EQ(fail.status().code(), StatusCode::kAborted) << fail.status().ToString();
  Status yield = store.yield(id, token, "late checkpoint");
  EXPECT_EQ(yield.code(), StatusCode::kAborted) << yield.ToString();
  Result<TimePoint> heartbeat = store.heartbeat(id, token, 1h);
  EXPECT_EQ(heartbeat.status().code(), StatusCode::kAborted) << heartbeat.status().ToString();
}

}  // namespace

TEST_P(StoreConformance, TokenIncreasesOnEveryClaimOfATask) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<uint64_t> tokens;

  std::vector<Lease> l = Claim({"q"}, 1, 10s);
  ASSERT_EQ(l.size(), 1u);
  tokens.push_back(l[0].token);
  ASSERT_TRUE(IsOk(store_->yield(id, l[0].token, "")));

  l = Claim({"q"}, 1, 10s);
  ASSERT_EQ(l.size(), 1u);
  tokens.push_back(l[0].token);
  ASSERT_TRUE(IsOk(store_->fail(id, l[0].token, "boom", FailOptions{})));

  l = Claim({"q"}, 1, 10s);
  ASSERT_EQ(l.size(), 1u);
  tokens.push_back(l[0].token);
  clock_.advance(11s);
  EXPECT_EQ(Maintain().recovered, 1);

  l = Claim({"q"}, 1, 10s);
  ASSERT_EQ(l.size(), 1u);
  tokens.push_back(l[0].token);

  for (size_t i = 1; i < tokens.size(); ++i) EXPECT_LT(tokens[i - 1], tokens[i]) << "claim " << i;
  EXPECT_EQ(Get(id).lease_token, tokens.back());
}

TEST_P(StoreConformance, ExpiredLeaseIsRecoveredAndReclaimable) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<Lease> first = Claim({"q"}, 1, 10s, "w1");
  ASSERT_EQ(first.size(), 1u);

  // Not before the lease runs out.
  clock_.advance(9s);
  EXPECT_EQ(Maintain().recovered, 0);
  EXPECT_EQ(Get(id).state, TaskState::kActive);

  clock_.advance(2s);
  MaintenanceReport report = Maintain();
  EXPECT_EQ(report.recovered, 1);
  EXPECT_EQ(report.quarantined, 0);
  Task recovered = Get(id);
  EXPECT_EQ(recovered.state, TaskState::kPending);
  EXPECT_EQ(recovered.attempts, 1);

  std::vector<Lease> second = Claim({"q"}, 1, 10s, "w2");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].task.id, id);
  EXPECT_GT(second[0].token, first[0].token);
  EXPECT_EQ(second[0].task.attempts, 2);

  // The old holder can settle nothing; the new one can.
  Status late = store_->complete(id, first[0].token, "old");
  EXPECT_EQ(late.code(), StatusCode::kAborted) << late.ToString();
  EXPECT_EQ(Get(id).state, TaskState::kActive);
  ASSERT_TRUE(IsOk(store_->complete(id, second[0].token, "new")));
  Task done = Get(id);
  EXPECT_EQ(done.state, TaskState::kSucceeded);
  EXPECT_EQ(done.result, "new");
  EXPECT_EQ(done.finished_at, clock_.now());
}

TEST_P(StoreConformance, StaleTokenIsRejectedAndChangesNothing) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<Lease> first = Claim({"q"}, 1, 10s, "w1");
  ASSERT_EQ(first.size(), 1u);
  clock_.advance(11s);
  Maintain();
  std::vector<Lease> second = Claim({"q"}, 1, 10s, "w2");
  ASSERT_EQ(second.size(), 1u);
  const Task before = Get(id);

  ExpectAllRejected(*store_, id, first[0].token);
  // A token never handed out is just as stale.
  ExpectAllRejected(*store_, id, second[0].token + 1000);

  Task after = Get(id);
  EXPECT_EQ(after.state, TaskState::kActive);
  EXPECT_EQ(after.lease_token, second[0].token);
  EXPECT_EQ(after.attempts, before.attempts);
  EXPECT_EQ(after.worker, "w2");
  EXPECT_EQ(after.started_at, before.started_at);
  EXPECT_EQ(after.result, before.result);
  EXPECT_EQ(after.last_error, before.last_error);
  EXPECT_EQ(after.checkpoint, before.checkpoint);
  EXPECT_EQ(after.finished_at, std::nullopt);
  // The stale heartbeat did not extend the live lease: it still ends 10 s after the claim.
  clock_.advance(11s);
  EXPECT_EQ(Maintain().recovered, 1);
}

TEST_P(StoreConformance, ASettledAttemptCannotBeSettledAgain) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  ASSERT_TRUE(IsOk(store_->complete(id, l[0].token, "first")));
  ExpectAllRejected(*store_, id, l[0].token);
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kSucceeded);
  EXPECT_EQ(t.result, "first");

  // A failed attempt that went back to pending cannot be completed with its old token either.
  TaskId other = Enqueue(Spec("q"));
  l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  Result<TaskState> failed = store_->fail(other, l[0].token, "boom", FailOptions{});
  ASSERT_TRUE(IsOk(failed));
  EXPECT_EQ(*failed, TaskState::kPending);
  ExpectAllRejected(*store_, other, l[0].token);
  EXPECT_EQ(Get(other).state, TaskState::kPending);
}

TEST_P(StoreConformance, HeartbeatExtendsTheLease) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"}, 1, 10s);
  ASSERT_EQ(l.size(), 1u);
  clock_.advance(8s);
  Result<TimePoint> expiry = store_->heartbeat(id, l[0].token, 10s);
  ASSERT_TRUE(IsOk(expiry));
  EXPECT_EQ(*expiry, clock_.now() + 10s);

  // Past the original expiry (10 s) but inside the extended one (18 s).
  clock_.advance(5s);
  EXPECT_EQ(Maintain().recovered, 0);
  EXPECT_EQ(Get(id).state, TaskState::kActive);
  EXPECT_TRUE(IsOk(store_->complete(id, l[0].token, "ok")));
  EXPECT_EQ(Get(id).state, TaskState::kSucceeded);
}

TEST_P(StoreConformance, HeartbeatLapseIsRecovered) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"}, 1, 10s);
  ASSERT_EQ(l.size(), 1u);
  clock_.advance(8s);
  ASSERT_TRUE(IsOk(store_->heartbeat(id, l[0].token, 10s)));
  clock_.advance(11s);  // 19 s: past the extended expiry
  EXPECT_EQ(Maintain().recovered, 1);
  EXPECT_EQ(Get(id).state, TaskState::kPending);
}

TEST_P(StoreConformance, RepeatedLeaseExpiryQuarantinesTheTask) {
  TaskSpec spec = Spec("q");
  spec.max_attempts = 2;
  TaskId id = Enqueue(spec);

  ASSERT_EQ(Claim({"q"}, 1, 10s).size(), 1u);
  clock_.advance(11s);
  MaintenanceReport first = Maintain();
  EXPECT_EQ(first.recovered, 1);
  EXPECT_EQ(first.quarantined, 0);
  EXPECT_EQ(Get(id).state, TaskState::kPending);

  std::vector<Lease> l = Claim({"q"}, 1, 10s);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].task.attempts, 2);
  clock_.advance(11s);
  MaintenanceReport second = Maintain();
  EXPECT_EQ(second.recovered, 0);
  EXPECT_EQ(second.quarantined, 1);
  Task dead = Get(id);
  EXPECT_EQ(dead.state, TaskState::kDead);
  EXPECT_EQ(dead.finished_at, clock_.now());
  EXPECT_TRUE(Claim({"q"}, 5).empty());
}

TEST_P(StoreConformance, MaintainWithNothingToDoReportsZeros) {
  Enqueue(Spec("q"));
  MaintenanceReport r = Maintain();
  EXPECT_EQ(r.promoted, 0);
  EXPECT_EQ(r.recovered, 0);
  EXPECT_EQ(r.quarantined, 0);
  EXPECT_EQ(r.expired, 0);
  EXPECT_EQ(r.deleted, 0);
}

// An active task's deadline only bounds its start: a running task is not expired.
TEST_P(StoreConformance, ActiveTaskPastItsDeadlineIsNotExpired) {
  TaskSpec spec = Spec("q");
  spec.deadline = clock_.now() + 10s;
  TaskId id = Enqueue(spec);
  std::vector<Lease> l = Claim({"q"}, 1, 1h);
  ASSERT_EQ(l.size(), 1u);
  clock_.advance(20s);
  EXPECT_EQ(Maintain().expired, 0);
  EXPECT_EQ(Get(id).state, TaskState::kActive);
  EXPECT_TRUE(IsOk(store_->complete(id, l[0].token, "")));
}

}  // namespace taskly
