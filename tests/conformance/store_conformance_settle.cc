// Settling an attempt: complete, fail (retry later, retry now, dead) and yield.
#include <gmock/gmock.h>

#include <map>

#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

TEST_P(StoreConformance, CompleteStoresTheResult) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  clock_.advance(2s);
  const std::string result("out\0put", 7);
  ASSERT_TRUE(IsOk(store_->complete(id, l[0].token, result)));
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kSucceeded);
  EXPECT_EQ(t.result, result);
  EXPECT_EQ(t.finished_at, clock_.now());
  EXPECT_EQ(t.attempts, 1);
  EXPECT_TRUE(Claim({"q"}, 5).empty());
}

TEST_P(StoreConformance, CompleteBatchSettlesEachItemOnItsOwn) {
  TaskId a = Enqueue(Spec("q"));
  TaskId b = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"}, 2);
  ASSERT_EQ(l.size(), 2u);
  std::vector<Store::Completion> items = {
      {a, l[0].token, "ra"},
      {b, l[1].token + 1, "stale"},  // a token never issued: refused
      {"0000000000ZZZZZ", 1, ""},    // unknown task
      {b, l[1].token, "rb"},
  };
  std::vector<Status> statuses = store_->complete_batch(items);
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_EQ(statuses[1].code(), StatusCode::kAborted);
  EXPECT_EQ(statuses[2].code(), StatusCode::kNotFound);
  EXPECT_TRUE(statuses[3].ok());
  EXPECT_EQ(Get(a).result, "ra");
  EXPECT_EQ(Get(b).result, "rb");
  EXPECT_EQ(Get(b).state, TaskState::kSucceeded);
  EXPECT_EQ(QueueOf("q").succeeded, 2);
}

TEST_P(StoreConformance, CompleteAndClaimSettlesTheBatchThenClaimsTheNext) {
  TaskId a = Enqueue(Spec("q"));
  TaskId b = Enqueue(Spec("q"));
  std::vector<Lease> first = Claim({"q"}, 2);
  ASSERT_EQ(first.size(), 2u);
  TaskSpec labelled = Spec("q", "payload-of-c");
  labelled.labels = {{"k", "v"}};
  TaskId c = Enqueue(labelled);
  TaskId d = Enqueue(Spec("q", "payload-of-d"));

  std::vector<Store::Completion> done = {
      {a, first[0].token, "ra"}, {b, first[1].token + 1, "stale"},  // a token never issued: refused
  };
  // Leases the caller had (the store may build the new ones over them): one more than it claims.
  std::vector<Lease> leases = first;
  leases.push_back(first[0]);
  leases[0].task.checkpoint = "old checkpoint";
  leases[0].task.spec.labels = {{"old", "label"}};
  std::vector<Status> statuses = {Status()};  // replaced, not appended to
  ClaimRequest request{.queues = {"q"}, .worker = "w2", .max_tasks = 2};
  ASSERT_TRUE(IsOk(store_->complete_and_claim(done, statuses, request, leases)));

  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_EQ(statuses[1].code(), StatusCode::kAborted);
  EXPECT_EQ(Get(a).state, TaskState::kSucceeded);
  EXPECT_EQ(Get(a).result, "ra");
  EXPECT_EQ(Get(b).state, TaskState::kActive);
  // The claim: exactly the two new tasks, each the whole task as claim() hands it out.
  ASSERT_EQ(leases.size(), 2u);
  EXPECT_EQ(leases[0].task.id, c);
  EXPECT_EQ(leases[0].task.spec.payload, "payload-of-c");
  EXPECT_EQ(leases[0].task.spec.labels, (std::map<std::string, std::string>{{"k", "v"}}));
  EXPECT_EQ(leases[0].task.checkpoint, "");
  EXPECT_EQ(leases[0].task.state, TaskState::kActive);
  EXPECT_EQ(leases[0].task.worker, "w2");
  EXPECT_EQ(leases[0].task.attempts, 1);
  EXPECT_EQ(leases[0].task.lease_token, leases[0].token);
  EXPECT_EQ(leases[1].task.id, d);
  EXPECT_EQ(leases[1].task.spec.payload, "payload-of-d");
  EXPECT_TRUE(leases[1].task.spec.labels.empty());
  EXPECT_EQ(leases[1].expires_at, clock_.now() + request.lease);
  ASSERT_TRUE(IsOk(store_->complete(c, leases[0].token, "rc")));
  EXPECT_EQ(Get(c).result, "rc");

  // Nothing left to claim: the completions are still made.
  done = {{b, first[1].token, "rb"}};
  ASSERT_TRUE(IsOk(store_->complete_and_claim(done, statuses, request, leases)));
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_TRUE(leases.empty());
  EXPECT_EQ(Get(b).result, "rb");
  EXPECT_EQ(QueueOf("q").succeeded, 3);
}

TEST_P(StoreConformance, CompleteAndClaimCompletesEvenWhenTheClaimIsInvalid) {
  TaskId a = Enqueue(Spec("q"));
  Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  std::vector<Store::Completion> done = {{a, l[0].token, "ra"}};
  std::vector<Status> statuses;
  std::vector<Lease> leases = l;
  ClaimRequest request{.queues = {"q"}, .worker = "w1", .max_tasks = 0};
  Status s = store_->complete_and_claim(done, statuses, request, leases);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(leases.empty());
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_EQ(Get(a).state, TaskState::kSucceeded);
  EXPECT_EQ(QueueOf("q").pending, 1);
}

TEST_P(StoreConformance, FailWithFutureRetryAtSchedulesTheRetry) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  const TimePoint retry_at = clock_.now() + 30s;
  Result<TaskState> state = store_->fail(id, l[0].token, "boom", FailOptions{retry_at, false});
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(*state, TaskState::kScheduled);
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kScheduled);
  EXPECT_EQ(t.scheduled_for, retry_at);
  EXPECT_EQ(t.last_error, "boom");
  EXPECT_EQ(t.finished_at, std::nullopt);
  EXPECT_EQ(QueueOf("q").scheduled, 1);

  EXPECT_TRUE(Claim({"q"}).empty());
  clock_.advance(29s);
  EXPECT_TRUE(Claim({"q"}).empty());
  clock_.advance(1s);  // retry_at reached
  l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].task.id, id);
  EXPECT_EQ(l[0].task.attempts, 2);
  EXPECT_EQ(l[0].task.last_error, "boom");
}

TEST_P(StoreConformance, FailWithoutRetryAtIsPendingAtOnce) {
  TaskId id = Enqueue(Spec("q"));
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  Result<TaskState> state = store_->fail(id, l[0].token, "e1", FailOptions{});
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(*state, TaskState::kPending);
  EXPECT_EQ(Get(id).state, TaskState::kPending);
  EXPECT_EQ(Get(id).last_error, "e1");

  // A retry_at in the past is the same as none.
  l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].task.attempts, 2);
  state = store_->fail(id, l[0].token, "e2", FailOptions{clock_.now() - 1s, false});
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(*state, TaskState::kPending);
  EXPECT_EQ(Claim({"q"}).size(), 1u);
}

TEST_P(StoreConformance, FailWithAttemptsSpentIsDead) {
  TaskSpec spec = Spec("q");
  spec.max_attempts = 2;
  TaskId id = Enqueue(spec);
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  ASSERT_TRUE(IsOk(store_->fail(id, l[0].token, "first", FailOptions{})));
  l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  // retry_at is ignored when the task goes dead.
  Result<TaskState> state =
      store_->fail(id, l[0].token, "second", FailOptions{clock_.now() + 1min, false});
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(*state, TaskState::kDead);
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kDead);
  EXPECT_EQ(t.last_error, "second");
  EXPECT_EQ(t.attempts, 2);
  EXPECT_EQ(t.finished_at, clock_.now());
  clock_.advance(2min);
  EXPECT_TRUE(Claim({"q"}).empty());
}

TEST_P(StoreConformance, PermanentFailureIsDeadAtOnce) {
  TaskSpec spec = Spec("q");
  spec.max_attempts = 5;
  TaskId id = Enqueue(spec);
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  Result<TaskState> state = store_->fail(id, l[0].token, "bad input", FailOptions{{}, true});
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(*state, TaskState::kDead);
  Task t = Get(id);
  EXPECT_EQ(t.state, TaskState::kDead);
  EXPECT_EQ(t.last_error, "bad input");
  EXPECT_EQ(t.attempts, 1);
  EXPECT_TRUE(Claim({"q"}).empty());
}

TEST_P(StoreConformance, YieldGoesToTheBackOfTheQueueWithItsCheckpoint) {
  TaskId a = Enqueue(Spec("q", "a"));
  Enqueue(Spec("q", "b"));
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  ASSERT_EQ(l[0].task.id, a);
  Enqueue(Spec("q", "c"));  // enqueued while `a` runs: still ahead of `a` after the yield
  clock_.advance(1s);
  ASSERT_TRUE(IsOk(store_->yield(a, l[0].token, "step-3")));
  Task t = Get(a);
  EXPECT_EQ(t.state, TaskState::kPending);
  EXPECT_EQ(t.checkpoint, "step-3");
  EXPECT_EQ(t.ready_at, clock_.now());

  Enqueue(Spec("q", "d"));  // enqueued after the yield: behind `a`
  std::vector<Lease> all = Claim({"q"}, 10);
  std::vector<std::string> order;
  for (const Lease& lease : all) {
    order.push_back(lease.task.spec.payload);
    if (lease.task.id == a) {
      EXPECT_EQ(lease.task.checkpoint, "step-3");
    }
  }
  EXPECT_THAT(order, ElementsAre("b", "c", "a", "d"));
}

// "A yield does not use up an attempt": a task allowed one attempt can be sliced many times.
// The observable contract is behavioural (how many failures it can still afford), so the raw
// `attempts` value after a yield is not asserted.
TEST_P(StoreConformance, YieldDoesNotUseUpAttempts) {
  TaskSpec spec = Spec("q");
  spec.max_attempts = 1;
  TaskId id = Enqueue(spec);
  for (int i = 0; i < 4; ++i) {
    std::vector<Lease> l = Claim({"q"});
    ASSERT_EQ(l.size(), 1u) << "slice " << i;
    EXPECT_EQ(l[0].task.checkpoint, i == 0 ? "" : std::to_string(i - 1));
    ASSERT_TRUE(IsOk(store_->yield(id, l[0].token, std::to_string(i))));
  }
  std::vector<Lease> l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].task.checkpoint, "3");
  ASSERT_TRUE(IsOk(store_->complete(id, l[0].token, "done")));
  EXPECT_EQ(Get(id).state, TaskState::kSucceeded);

  // With two attempts allowed, yields in between still leave the second attempt for a retry.
  spec.max_attempts = 2;
  TaskId other = Enqueue(spec);
  for (int i = 0; i < 3; ++i) {
    l = Claim({"q"});
    ASSERT_EQ(l.size(), 1u);
    ASSERT_TRUE(IsOk(store_->yield(other, l[0].token, "")));
  }
  l = Claim({"q"});
  ASSERT_EQ(l.size(), 1u);
  Result<TaskState> state = store_->fail(other, l[0].token, "once", FailOptions{});
  ASSERT_TRUE(IsOk(state));
  EXPECT_EQ(*state, TaskState::kPending);
}

}  // namespace taskly
