// Ordering policies: the order in which claim() hands out a queue's ready
// tasks under fifo, priority (with and without aging), edf and rms. Each test names its tasks
// by payload and drains the queue one claim at a time.
#include <gmock/gmock.h>

#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

namespace {

QueueConfig WithPolicy(OrderingPolicy policy, Duration aging_step = Duration::zero()) {
  QueueConfig config;
  config.policy = policy;
  config.aging_step = aging_step;
  return config;
}

}  // namespace

TEST_P(StoreConformance, FifoHandsOutInEnqueueOrder) {
  for (const char* name : {"a", "b", "c", "d"}) {
    TaskSpec spec = Spec("q", name);
    spec.priority = name[0] == 'c' ? 10 : 0;  // ignored under fifo
    Enqueue(spec);
  }
  EXPECT_THAT(DrainPayloads("q"), ElementsAre("a", "b", "c", "d"));
}

TEST_P(StoreConformance, PriorityHandsOutHigherFirstTiesFifo) {
  ASSERT_TRUE(IsOk(store_->set_queue("q", WithPolicy(OrderingPolicy::kPriority))));
  const std::vector<std::pair<const char*, int32_t>> tasks = {{"a", 1}, {"b", 5}, {"c", 1},
                                                              {"d", 5}, {"e", 3}, {"f", -2}};
  for (const auto& [name, priority] : tasks) {
    TaskSpec spec = Spec("q", name);
    spec.priority = priority;
    Enqueue(spec);
  }
  EXPECT_THAT(DrainPayloads("q"), ElementsAre("b", "d", "e", "a", "c", "f"));
}

TEST_P(StoreConformance, PriorityWithoutAgingNeverLetsALowTaskOvertake) {
  ASSERT_TRUE(IsOk(store_->set_queue("q", WithPolicy(OrderingPolicy::kPriority))));
  TaskSpec low = Spec("q", "low");
  Enqueue(low);
  clock_.advance(24h);
  TaskSpec high = Spec("q", "high");
  high.priority = 1;
  Enqueue(high);
  EXPECT_THAT(DrainPayloads("q"), ElementsAre("high", "low"));
}

// policy.h: a ready task gains one priority level per aging_step waited. A priority-0 task that
// has waited 5 steps ranks as priority 5, above a fresh priority-3 task.
TEST_P(StoreConformance, PriorityAgingLetsALongWaitingLowTaskOvertake) {
  ASSERT_TRUE(IsOk(store_->set_queue("q", WithPolicy(OrderingPolicy::kPriority, 1s))));
  Enqueue(Spec("q", "low"));
  clock_.advance(5s);
  TaskSpec high = Spec("q", "high");
  high.priority = 3;
  Enqueue(high);
  EXPECT_THAT(DrainPayloads("q"), ElementsAre("low", "high"));
}

// The counterpart: after 2 steps the low task ranks as priority 2, still below 3.
TEST_P(StoreConformance, PriorityAgingDoesNotOvertakeBeforeEnoughSteps) {
  ASSERT_TRUE(IsOk(store_->set_queue("q", WithPolicy(OrderingPolicy::kPriority, 1s))));
  Enqueue(Spec("q", "low"));
  clock_.advance(2s);
  TaskSpec high = Spec("q", "high");
  high.priority = 3;
  Enqueue(high);
  EXPECT_THAT(DrainPayloads("q"), ElementsAre("high", "low"));
}

TEST_P(StoreConformance, EdfHandsOutEarliestDeadlineFirstNoDeadlineLast) {
  ASSERT_TRUE(IsOk(store_->set_queue("q", WithPolicy(OrderingPolicy::kEdf))));
  const TimePoint now = clock_.now();
  const std::vector<std::pair<const char*, std::optional<TimePoint>>> tasks = {
      {"a", now + 100s}, {"b", std::nullopt}, {"c", now + 50s},
      {"d", now + 100s}, {"e", std::nullopt}, {"f", now + 75s}};
  for (const auto& [name, deadline] : tasks) {
    TaskSpec spec = Spec("q", name);
    spec.deadline = deadline;
    Enqueue(spec);
  }
  EXPECT_THAT(DrainPayloads("q"), ElementsAre("c", "f", "a", "d", "b", "e"));
}

TEST_P(StoreConformance, RmsHandsOutShorterPeriodFirstAperiodicLast) {
  ASSERT_TRUE(IsOk(store_->set_queue("q", WithPolicy(OrderingPolicy::kRms))));
  const std::vector<std::pair<const char*, Duration>> tasks = {
      {"a", 60s}, {"b", Duration::zero()}, {"c", 10s}, {"d", 60s}, {"e", 1h}};
  for (const auto& [name, period] : tasks) {
    TaskSpec spec = Spec("q", name);
    spec.period = period;
    Enqueue(spec);
  }
  EXPECT_THAT(DrainPayloads("q"), ElementsAre("c", "a", "d", "e", "b"));
}

// A batch claim is in policy order too, not just the set of the best tasks.
TEST_P(StoreConformance, BatchClaimIsInPolicyOrder) {
  ASSERT_TRUE(IsOk(store_->set_queue("q", WithPolicy(OrderingPolicy::kPriority))));
  for (int32_t priority : {1, 4, 2, 4, 3}) {
    TaskSpec spec = Spec("q", std::to_string(priority));
    spec.priority = priority;
    Enqueue(spec);
  }
  std::vector<Lease> leases = Claim({"q"}, 4);
  std::vector<std::string> got;
  for (const Lease& l : leases) got.push_back(l.task.spec.payload);
  EXPECT_THAT(got, ElementsAre("4", "4", "3", "2"));
}

}  // namespace taskly
