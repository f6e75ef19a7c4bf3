// Values at the ends of their ranges: validation refuses durations and times beyond them, and
// the engine's time arithmetic saturates instead of wrapping around.
#include <gtest/gtest.h>

#include <random>

#include "core/backoff.h"
#include "core/saturating.h"
#include "core/token_bucket.h"
#include "taskly/scheduler.h"
#include "taskly/store.h"

namespace taskly {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const Duration kTooLong = kMaxDuration + Duration(1);

TEST(LimitsTest, TaskDurationsAndTimesOutOfRangeAreRefusedNamingTheField) {
  TaskSpec spec{.type = "t"};
  ASSERT_TRUE(ValidateTaskSpec(spec).ok());
  TaskSpec t = spec;
  t.timeout = hours(24) * 100000;
  EXPECT_EQ(ValidateTaskSpec(t).field(), "timeout");
  t = spec;
  t.unique_ttl = kTooLong;
  EXPECT_EQ(ValidateTaskSpec(t).field(), "unique_ttl");
  t = spec;
  t.backoff = Backoff{.initial = Duration::max(), .cap = Duration::max()};
  EXPECT_EQ(ValidateTaskSpec(t).field(), "backoff.initial");
  t = spec;
  t.backoff.cap = kTooLong;
  EXPECT_EQ(ValidateTaskSpec(t).field(), "backoff.cap");
  t = spec;
  t.deadline = kMinTime - Duration(1);
  EXPECT_EQ(ValidateTaskSpec(t).field(), "deadline");
  t = spec;
  t.run_at = TimePoint::min();
  EXPECT_EQ(ValidateTaskSpec(t).field(), "run_at");
  t = spec;
  t.timeout = t.unique_ttl = t.backoff.initial = t.backoff.cap = kMaxDuration;
  t.deadline = TimePoint::max();
  EXPECT_TRUE(ValidateTaskSpec(t).ok());
}

TEST(LimitsTest, QueueRatesOutOfRangeAreRefused) {
  for (double rate : {1e-300, 1e-10, 1e10, -1.0}) {
    EXPECT_EQ(ValidateQueueConfig({.rate = rate}).field(), "rate") << rate;
  }
  for (double rate : {0.0, kMinRate, 1.0, kMaxRate}) {
    EXPECT_TRUE(ValidateQueueConfig({.rate = rate}).ok()) << rate;
  }
  EXPECT_EQ(ValidateQueueConfig({.aging_step = kTooLong}).field(), "aging_step");
}

TEST(LimitsTest, SaturatingArithmeticClampsAtTheEnds) {
  const TimePoint t0 = SimulatedClock::DefaultStart();
  EXPECT_EQ(SaturatingAdd(t0, seconds(1)), t0 + seconds(1));
  EXPECT_EQ(SaturatingAdd(t0, Duration::max()), TimePoint::max());
  EXPECT_EQ(SaturatingAdd(TimePoint::min(), Duration::min()), TimePoint::min());
  EXPECT_FALSE(CheckedAdd(TimePoint::max(), Duration(1)).has_value());
  EXPECT_EQ(SaturatingSub(TimePoint::max(), TimePoint::min()), Duration::max());
  EXPECT_EQ(ClampedSeconds(1e300), kMaxDuration);
  EXPECT_EQ(ClampedSeconds(-1), Duration::zero());
  EXPECT_EQ(ClampedSeconds(1.5), std::chrono::milliseconds(1500));
}

TEST(LimitsTest, AMaximalBackoffNeverWrapsToANegativeDelay) {
  // A cap converted through a double rounds up past int64's range; the ceiling is the cap.
  Backoff b{.initial = Duration::max(), .cap = Duration::max(), .multiplier = 1000};
  EXPECT_EQ(BackoffCeiling(b, 1), Duration::max());
  EXPECT_EQ(BackoffCeiling(b, 50), Duration::max());
  // initial 0 times an infinite power is NaN: still within [0, cap].
  Backoff zero{.initial = Duration::zero(), .cap = kMaxDuration, .multiplier = 1000};
  EXPECT_GE(BackoffCeiling(zero, 2000), Duration::zero());
  EXPECT_LE(BackoffCeiling(zero, 2000), kMaxDuration);
  std::mt19937_64 rng(1);
  Backoff max{.initial = kMaxDuration, .cap = kMaxDuration, .multiplier = 1000};
  for (int i = 0; i < 100; ++i) {
    Duration d = BackoffDelay(max, 3, rng);
    ASSERT_GE(d, Duration::zero());
    ASSERT_LE(d, kMaxDuration);
  }
}

TEST(LimitsTest, ATinyRateWaitsLongInsteadOfWrappingIntoThePast) {
  const TimePoint t0 = SimulatedClock::DefaultStart();
  TokenBucket bucket;
  bucket.configure(1e-300, 1, t0);
  ASSERT_TRUE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.available(t0 + hours(24)));
  // The next token is far away (clamped), never in the past, where a waiter would spin.
  EXPECT_EQ(bucket.next_token(t0), t0 + kMaxDuration);
  TokenBucket late;
  late.configure(kMinRate, 1, TimePoint::max() - seconds(1));
  ASSERT_TRUE(late.try_take(TimePoint::max() - seconds(1)));
  EXPECT_EQ(late.next_token(TimePoint::max() - seconds(1)), TimePoint::max());
}

TEST(LimitsTest, ALongUniqueTtlKeepsDeduplicating) {
  // Late in TimePoint's range, enqueued_at + unique_ttl would overflow into the past.
  SimulatedClock clock(TimePoint::max() - hours(24) * 365);
  std::unique_ptr<Store> store = NewMemoryStore({.clock = &clock});
  TaskSpec spec{.type = "t", .unique_key = "once", .unique_ttl = kMaxDuration};
  Result<EnqueueResult> first = store->enqueue_one(spec);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->created);
  clock.advance(hours(1));
  Result<EnqueueResult> second = store->enqueue_one(spec);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->id, first->id);
}

TEST(LimitsTest, SchedulesBelowTheMinimumPeriodAreRefused) {
  SimulatedClock clock;
  std::unique_ptr<Store> store = NewMemoryStore({.clock = &clock});
  auto make = [&](Duration min) {
    SchedulerOptions options{.store = store.get(), .clock = &clock, .slots = 1};
    options.min_schedule_period = min;
    return Scheduler::Create(options);
  };
  Result<std::unique_ptr<Scheduler>> scheduler = make(seconds(1));
  ASSERT_TRUE(scheduler.ok()) << scheduler.status().ToString();
  ScheduleSpec every{.id = "fast", .every = Duration(1)};
  every.task.type = "t";
  Status s = (*scheduler)->add_schedule(every);
  EXPECT_EQ(s.field(), "every") << s.ToString();
  EXPECT_EQ(s.message(), "must be at least the scheduler's minimum schedule period, 1s");
  every.every = seconds(1);
  EXPECT_TRUE((*scheduler)->add_schedule(every).ok());
  ScheduleSpec cron{.id = "cron", .cron = "*/30 * * * * *"};
  cron.task.type = "t";
  EXPECT_TRUE((*scheduler)->add_schedule(cron).ok());
  (*scheduler)->stop(Duration::zero());
  scheduler->reset();

  Result<std::unique_ptr<Scheduler>> strict = make(std::chrono::minutes(1));
  ASSERT_TRUE(strict.ok());
  cron.id = "cron2";
  s = (*strict)->add_schedule(cron);
  EXPECT_EQ(s.field(), "cron") << s.ToString();
  (*strict)->stop(Duration::zero());
  strict->reset();

  EXPECT_EQ(make(Duration::zero()).status().field(), "min_schedule_period");
  SchedulerOptions lease{.store = store.get(), .clock = &clock};
  lease.lease = kTooLong;
  EXPECT_EQ(Scheduler::Create(lease).status().field(), "lease");
}

}  // namespace
}  // namespace taskly
